package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestResyncConfig(t *testing.T) {
	d := func(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }
	n := func(n int) *int { return &n }
	defaults := Resync{Interval: d(10 * time.Minute), GracePeriod: d(2 * time.Minute), MaxOrgRepos: n(20)}
	tests := []struct {
		name string
		yaml string
		want Resync
		// wantErr are substrings that must all appear in the error; none means no error.
		wantErr []string
	}{{
		name: "no resync section: on, with the defaults",
		yaml: "pod_namespace: test-pods\n",
		want: defaults,
	}, {
		name: "empty section gets the defaults",
		yaml: "resync: {}\n",
		want: defaults,
	}, {
		name: "every field set",
		yaml: `
resync:
  interval: 30m
  grace_period: 5m
  max_org_repos: 100
  orgs: [acme, Kubernetes]
`,
		want: Resync{Interval: d(30 * time.Minute), GracePeriod: d(5 * time.Minute), MaxOrgRepos: n(100), Orgs: []string{"acme", "Kubernetes"}},
	}, {
		name: "zero interval turns it off, zero grace and zero size are allowed",
		yaml: "resync: {interval: 0s, grace_period: 0s, max_org_repos: 0}\n",
		want: Resync{Interval: d(0), GracePeriod: d(0), MaxOrgRepos: n(0)},
	}, {
		name: "negative values, at their lines",
		yaml: "pod_namespace: test-pods\nresync:\n  interval: -1m\n  grace_period: -1s\n  max_org_repos: -3\n",
		wantErr: []string{
			"config.yaml:3: resync.interval: must not be negative, got -1m0s",
			"config.yaml:4: resync.grace_period: must not be negative, got -1s",
			"config.yaml:5: resync.max_org_repos: must not be negative, got -3",
		},
	}, {
		name: "orgs that are not org names, and a duplicate",
		yaml: "resync:\n  orgs:\n  - acme\n  - acme/widgets\n  - ''\n  - ACME\n",
		wantErr: []string{
			`config.yaml:4: resync.orgs[1]: "acme/widgets" is not an org name`,
			`config.yaml:5: resync.orgs[2]: "" is not an org name`,
			`config.yaml:6: resync.orgs[3]: "ACME" is already listed as orgs[0]`,
		},
	}, {
		name:    "not a duration",
		yaml:    "resync: {interval: 1d}\n",
		wantErr: []string{"config.yaml:1: resync.interval: ", `unknown unit "d"`},
	}, {
		name:    "unknown field",
		yaml:    "resync:\n  interval: 1h\n  max_repos: 5\n",
		wantErr: []string{`config.yaml:3: unknown field "resync.max_repos"`},
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
			if diff := cmp.Diff(tc.want, c.Resync, cmpopts.IgnoreUnexported(Resync{})); diff != "" {
				t.Errorf("Resync (-want, +got):\n%s", diff)
			}
		})
	}
}

func TestResyncAccessors(t *testing.T) {
	var unset Resync
	if got := unset.IntervalDuration(); got != DefaultResyncInterval || !unset.Enabled() {
		t.Errorf("unset: IntervalDuration() = %v, Enabled() = %t; want %v, true", got, unset.Enabled(), DefaultResyncInterval)
	}
	if got := unset.GracePeriodDuration(); got != DefaultResyncGracePeriod {
		t.Errorf("unset: GracePeriodDuration() = %v, want %v", got, DefaultResyncGracePeriod)
	}
	off := Resync{Interval: &metav1.Duration{}}
	if off.Enabled() {
		t.Error("interval 0s: Enabled() = true, want false")
	}

	zero := 0
	tests := []struct {
		name  string
		r     Resync
		org   string
		repos int
		want  bool
	}{
		{name: "at the default limit", org: "acme", repos: DefaultResyncMaxOrgRepos, want: true},
		{name: "over the default limit", org: "acme", repos: DefaultResyncMaxOrgRepos + 1, want: false},
		{name: "over the limit but listed, in another case", r: Resync{Orgs: []string{"ACME"}}, org: "acme", repos: 500, want: true},
		{name: "limit 0: only listed orgs", r: Resync{MaxOrgRepos: &zero, Orgs: []string{"acme"}}, org: "tools", repos: 1, want: false},
		{name: "limit 0: a listed org", r: Resync{MaxOrgRepos: &zero, Orgs: []string{"acme"}}, org: "acme", repos: 1, want: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.OrgAllowed(tc.org, tc.repos); got != tc.want {
				t.Errorf("OrgAllowed(%q, %d) = %t, want %t", tc.org, tc.repos, got, tc.want)
			}
		})
	}
}
