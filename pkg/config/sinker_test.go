package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestSinkerConfig(t *testing.T) {
	d := func(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }
	tests := []struct {
		name string
		yaml string
		want Sinker
		// wantErr are substrings that must all appear in the error; none means no error.
		wantErr []string
	}{{
		name: "no sinker section gets Prow's defaults",
		yaml: "pod_namespace: test-pods\n",
		want: Sinker{ResyncPeriod: d(time.Hour), MaxProwJobAge: d(168 * time.Hour)},
	}, {
		name: "empty section gets the defaults",
		yaml: "sinker: {}\n",
		want: Sinker{ResyncPeriod: d(time.Hour), MaxProwJobAge: d(168 * time.Hour)},
	}, {
		name: "every field set",
		yaml: `
sinker:
  resync_period: 10m
  max_prowjob_age: 48h
  max_pipelinerun_age: 1h30m
  dry_run: true
`,
		want: Sinker{ResyncPeriod: d(10 * time.Minute), MaxProwJobAge: d(48 * time.Hour), MaxPipelineRunAge: d(90 * time.Minute), DryRun: true},
	}, {
		name: "some fields set, the rest defaulted",
		yaml: "sinker: {max_prowjob_age: 24h}\n",
		want: Sinker{ResyncPeriod: d(time.Hour), MaxProwJobAge: d(24 * time.Hour)},
	}, {
		name:    "zero resync period",
		yaml:    "sinker: {resync_period: 0s}\n",
		wantErr: []string{"config.yaml:1: sinker.resync_period: must be a positive duration, got 0s"},
	}, {
		name: "negative ages",
		yaml: "sinker:\n  max_prowjob_age: -1h\n  max_pipelinerun_age: -5m\n",
		wantErr: []string{
			"config.yaml:2: sinker.max_prowjob_age: must be a positive duration, got -1h0m0s",
			"config.yaml:3: sinker.max_pipelinerun_age: must be a positive duration, got -5m0s",
		},
	}, {
		name:    "not a duration",
		yaml:    "sinker: {max_prowjob_age: 7d}\n",
		wantErr: []string{"config.yaml:1: sinker.max_prowjob_age: ", `unknown unit "d"`},
	}, {
		name:    "a number is not a duration",
		yaml:    "sinker: {resync_period: 3600}\n",
		wantErr: []string{"config.yaml:1: sinker.resync_period: ", "cannot unmarshal number"},
	}, {
		name:    "unknown field",
		yaml:    "sinker:\n  resync_period: 1h\n  max_pod_agee: 24h\n",
		wantErr: []string{`config.yaml:3: unknown field "sinker.max_pod_agee" (did you mean "max_pod_age"?)`},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := LoadBytes("config.yaml", []byte(tc.yaml))
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatalf("LoadBytes: no error, want %q", tc.wantErr)
				}
				for _, want := range tc.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not contain %q", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadBytes: %v", err)
			}
			if diff := cmp.Diff(tc.want, c.Sinker); diff != "" {
				t.Errorf("Sinker (-want, +got):\n%s", diff)
			}
		})
	}
}

func TestSinkerDurations(t *testing.T) {
	var unset Sinker
	if got := unset.ResyncPeriodDuration(); got != DefaultSinkerResyncPeriod {
		t.Errorf("ResyncPeriodDuration() = %v, want %v", got, DefaultSinkerResyncPeriod)
	}
	if got := unset.MaxProwJobAgeDuration(); got != DefaultSinkerMaxProwJobAge {
		t.Errorf("MaxProwJobAgeDuration() = %v, want %v", got, DefaultSinkerMaxProwJobAge)
	}
	if got, ok := unset.MaxPipelineRunAgeDuration(); ok || got != 0 {
		t.Errorf("MaxPipelineRunAgeDuration() = %v, %v; want 0, false", got, ok)
	}
	set := Sinker{MaxPipelineRunAge: &metav1.Duration{Duration: time.Hour}}
	if got, ok := set.MaxPipelineRunAgeDuration(); !ok || got != time.Hour {
		t.Errorf("MaxPipelineRunAgeDuration() = %v, %v; want 1h, true", got, ok)
	}
}
