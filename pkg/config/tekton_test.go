package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
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
		wantErr: []string{"config.yaml:1: tekton.default_timeout: must be a positive duration, got 0s"},
	}, {
		name:    "negative timeout",
		yaml:    "tekton: {default_timeout: -1h}\n",
		wantErr: []string{"config.yaml:1: tekton.default_timeout: must be a positive duration, got -1h0m0s"},
	}, {
		name:    "not a duration",
		yaml:    "tekton: {default_timeout: 2d}\n",
		wantErr: []string{"config.yaml:1: tekton.default_timeout: ", `unknown unit "d"`},
	}, {
		name:    "clone task that is not an object name",
		yaml:    "tekton: {clone_task: Git_Clone}\n",
		wantErr: []string{`config.yaml:1: tekton.clone_task: "Git_Clone" is not a valid Task name`},
	}, {
		name: "cancel status Cancelled",
		yaml: "tekton: {cancel_status: Cancelled}\n",
		want: Tekton{CancelStatus: "Cancelled"},
	}, {
		name:    "cancel status Tekton does not know",
		yaml:    "tekton: {cancel_status: Stopped}\n",
		wantErr: []string{`config.yaml:1: tekton.cancel_status: "Stopped" is none of CancelledRunFinally, Cancelled, StoppedRunFinally`},
	}, {
		name: "concurrency per repo",
		yaml: "tekton:\n  max_concurrency_per_repo:\n    acme/widgets: 5\n    acme/gadgets: 0\n    \"*\": 20\n",
		want: Tekton{MaxConcurrencyPerRepo: map[string]int{"acme/widgets": 5, "acme/gadgets": 0, "*": 20}},
	}, {
		name: "negative and malformed concurrency keys, at their lines",
		yaml: "tekton:\n  max_concurrency_per_repo:\n    acme/widgets: 5\n    acme/gadgets: -1\n    acme: 3\n    \"*\": -2\n",
		wantErr: []string{
			"config.yaml:4: tekton.max_concurrency_per_repo.acme/gadgets: -1 is negative",
			`config.yaml:5: tekton.max_concurrency_per_repo: key "acme": want "org/repo" or "*"`,
			"config.yaml:6: tekton.max_concurrency_per_repo.*: -2 is negative",
		},
	}, {
		name:    "concurrency limit that is not a number",
		yaml:    "tekton:\n  max_concurrency_per_repo: {acme/widgets: many}\n",
		wantErr: []string{"config.yaml:2: tekton.max_concurrency_per_repo.acme/widgets: ", "cannot unmarshal string"},
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
			if diff := cmp.Diff(tc.want, c.Tekton, cmpopts.IgnoreUnexported(Tekton{})); diff != "" {
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

func TestTektonRepoMaxConcurrency(t *testing.T) {
	tests := []struct {
		name   string
		limits map[string]int
		repo   string
		want   int
	}{{
		name: "no limits",
		repo: "acme/widgets",
		want: 0,
	}, {
		name:   "the repository's own entry",
		limits: map[string]int{"acme/widgets": 5, "*": 20},
		repo:   "acme/widgets",
		want:   5,
	}, {
		name:   "the default for a repository with no entry",
		limits: map[string]int{"acme/widgets": 5, "*": 20},
		repo:   "acme/gadgets",
		want:   20,
	}, {
		name:   "an entry of 0 lifts the default",
		limits: map[string]int{"acme/widgets": 0, "*": 20},
		repo:   "acme/widgets",
		want:   0,
	}, {
		name:   "no default: other repositories are not capped",
		limits: map[string]int{"acme/widgets": 5},
		repo:   "acme/gadgets",
		want:   0,
	}, {
		name:   "keys match exactly",
		limits: map[string]int{"acme/widgets": 5},
		repo:   "acme/widgets-2",
		want:   0,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tk := Tekton{MaxConcurrencyPerRepo: tc.limits}
			org, repo, _ := strings.Cut(tc.repo, "/")
			if got := tk.RepoMaxConcurrency(org, repo); got != tc.want {
				t.Errorf("RepoMaxConcurrency(%q) = %d, want %d", tc.repo, got, tc.want)
			}
		})
	}
}
