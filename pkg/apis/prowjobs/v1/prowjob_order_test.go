package v1

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestCreatedBefore(t *testing.T) {
	second := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	job := func(name string, created time.Time, buildID string) *ProwJob {
		pj := &ProwJob{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(created)}}
		if buildID != "" {
			pj.Labels = map[string]string{BuildIDLabel: buildID}
		}
		return pj
	}
	tests := []struct {
		name string
		a, b *ProwJob
		want bool
	}{
		{name: "an earlier second wins over everything", a: job("z", second, "900"), b: job("a", second.Add(time.Second), "100"), want: true},
		{name: "a later second", a: job("a", second.Add(time.Second), "100"), b: job("z", second, "900"), want: false},
		{name: "same second: the smaller build id", a: job("z", second, "100"), b: job("a", second, "900"), want: true},
		{name: "same second: the larger build id", a: job("a", second, "900"), b: job("z", second, "100"), want: false},
		{name: "same second and build id: the name", a: job("a", second, "100"), b: job("b", second, "100"), want: true},
		{name: "no build id sorts first in its second", a: job("z", second, ""), b: job("a", second, "1"), want: true},
		{name: "a malformed build id counts as none", a: job("z", second, "not-a-number"), b: job("a", second, "1"), want: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if CreatedBefore(tc.a, tc.a) {
				t.Errorf("CreatedBefore(%s, %s) = true: a job is not before itself", tc.a.Name, tc.a.Name)
			}
			if got := CreatedBefore(tc.a, tc.b); got != tc.want {
				t.Errorf("CreatedBefore(%s, %s) = %t, want %t", tc.a.Name, tc.b.Name, got, tc.want)
			}
			if got := CreatedBefore(tc.b, tc.a); got == tc.want {
				t.Errorf("CreatedBefore(%s, %s) = %t: the order is not antisymmetric", tc.b.Name, tc.a.Name, got)
			}
		})
	}
}
