package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestTektonConfig(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want Tekton
		// wantErr are substrings that must all appear in the error; none means no error.
		wantErr []string
	}{{
		name: "no tekton section leaves both unset",
		yaml: "pod_namespace: test-pods\n",
		want: Tekton{},
	}, {
		name: "every field set",
		yaml: "tekton:\n  default_timeout: 2h\n  clone_task: acme-clone\n  cancel_status: StoppedRunFinally\n",
		want: Tekton{DefaultTimeout: &metav1.Duration{Duration: 2 * time.Hour}, CloneTask: "acme-clone", CancelStatus: "StoppedRunFinally"},
	}, {
		name: "timeout only",
		yaml: "tekton: {default_timeout: 1h30m}\n",
		want: Tekton{DefaultTimeout: &metav1.Duration{Duration: 90 * time.Minute}},
	}, {
		name:    "zero timeout",
		yaml:    "tekton: {default_timeout: 0s}\n",
		wantErr: []string{"config.yaml: tekton.default_timeout: must be a positive duration, got 0s"},
	}, {
		name:    "negative timeout",
		yaml:    "tekton: {default_timeout: -1h}\n",
		wantErr: []string{"config.yaml: tekton.default_timeout: must be a positive duration, got -1h0m0s"},
	}, {
		name:    "not a duration",
		yaml:    "tekton: {default_timeout: 2d}\n",
		wantErr: []string{"config.yaml: ", `unknown unit "d"`},
	}, {
		name:    "clone task that is not an object name",
		yaml:    "tekton: {clone_task: Git_Clone}\n",
		wantErr: []string{`config.yaml: tekton.clone_task: "Git_Clone" is not a valid Task name`},
	}, {
		name: "cancel status Cancelled",
		yaml: "tekton: {cancel_status: Cancelled}\n",
		want: Tekton{CancelStatus: "Cancelled"},
	}, {
		name:    "cancel status Tekton does not know",
		yaml:    "tekton: {cancel_status: Stopped}\n",
		wantErr: []string{`config.yaml: tekton.cancel_status: "Stopped" is none of CancelledRunFinally, Cancelled, StoppedRunFinally`},
	}, {
		name:    "unknown field",
		yaml:    "tekton:\n  default_timeout: 1h\n  timeout: 2h\n",
		wantErr: []string{`config.yaml:3: unknown field "tekton.timeout"`},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := LoadBytes("config.yaml", []byte(tc.yaml))
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatalf("LoadBytes() = no error, want %q", tc.wantErr)
				}
				for _, want := range tc.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not contain %q", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadBytes() error = %v", err)
			}
			if diff := cmp.Diff(tc.want, c.Tekton); diff != "" {
				t.Errorf("Tekton (-want, +got):\n%s", diff)
			}
		})
	}
}

func TestTektonDefaultTimeoutDuration(t *testing.T) {
	var unset Tekton
	if got := unset.DefaultTimeoutDuration(); got != 0 {
		t.Errorf("DefaultTimeoutDuration() = %v, want 0 when unset", got)
	}
	set := Tekton{DefaultTimeout: &metav1.Duration{Duration: 2 * time.Hour}}
	if got := set.DefaultTimeoutDuration(); got != 2*time.Hour {
		t.Errorf("DefaultTimeoutDuration() = %v, want 2h", got)
	}
}
