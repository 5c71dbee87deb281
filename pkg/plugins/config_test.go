package plugins_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/bosun-ci/bosun/pkg/plugins"
)

// newRegistry returns a registry holding plugins with the given names and no handlers.
func newRegistry(t *testing.T, names ...string) *plugins.Registry {
	t.Helper()
	reg := &plugins.Registry{}
	for _, n := range names {
		reg.Register(plugins.Plugin{Name: n})
	}
	return reg
}

// mustParse parses plugins.yaml content against reg and fails the test on error.
func mustParse(t *testing.T, yaml string, reg *plugins.Registry) *plugins.Configuration {
	t.Helper()
	c, err := plugins.ParseConfiguration("plugins.yaml", []byte(yaml), reg)
	if err != nil {
		t.Fatalf("ParseConfiguration() error:\n%v", err)
	}
	return c
}

func TestParseConfiguration(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want *plugins.Configuration
	}{{
		name: "empty",
		yaml: "",
		want: &plugins.Configuration{},
	}, {
		name: "plugins and triggers",
		yaml: `
plugins:
  acme:
  - trigger
  acme/widgets:
  - hold
triggers:
- repos:
  - acme
  trusted_apps:
  - dependabot
  trusted_org: acme-friends
  only_org_members: true
`,
		want: &plugins.Configuration{
			Plugins: map[string]plugins.OrgPlugins{
				"acme":         {Plugins: []string{"trigger"}},
				"acme/widgets": {Plugins: []string{"hold"}},
			},
			Triggers: []plugins.Trigger{{
				Repos:          []string{"acme"},
				TrustedApps:    []string{"dependabot"},
				TrustedOrg:     "acme-friends",
				OnlyOrgMembers: true,
			}},
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := mustParse(t, tc.yaml, newRegistry(t, "hold", "trigger"))
			if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreUnexported(plugins.Configuration{})); diff != "" {
				t.Errorf("ParseConfiguration() (-want, +got):\n%s", diff)
			}
		})
	}
}

func TestParseConfigurationErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		// wantInErr are substrings the error must contain.
		wantInErr []string
	}{{
		name:      "unknown plugin names the known ones and the closest",
		yaml:      "plugins:\n  acme/widgets:\n  - trigger\n  - lgmt\n",
		wantInErr: []string{"plugins.yaml:4: plugins: acme/widgets", `unknown plugin "lgmt" (did you mean "lgtm"?)`, "known: hold, trigger"},
	}, {
		name:      "unknown top-level section",
		yaml:      "plugins:\n  acme:\n  - trigger\nexternal_plugin: {}\n",
		wantInErr: []string{`plugins.yaml:4: unknown field "external_plugin" (did you mean "external_plugins"?)`},
	}, {
		name:      "misspelled trigger field",
		yaml:      "triggers:\n- repos: [acme]\n  join_org_ur: https://example.com\n",
		wantInErr: []string{`plugins.yaml:3: unknown field "triggers[0].join_org_ur" (did you mean "join_org_url"?)`},
	}, {
		name:      "misspelled field",
		yaml:      "plugin:\n  acme:\n  - trigger\n",
		wantInErr: []string{`plugins.yaml:1: unknown field "plugin" (did you mean "plugins"?)`},
	}, {
		name:      "key with too many slashes",
		yaml:      "plugins:\n  acme/widgets/extra:\n  - trigger\n",
		wantInErr: []string{`"acme/widgets/extra" is neither an org nor org/repo`},
	}, {
		name:      "key with a leading slash",
		yaml:      "plugins:\n  /widgets:\n  - trigger\n",
		wantInErr: []string{`"/widgets" is neither an org nor org/repo`},
	}, {
		name:      "key with a trailing slash",
		yaml:      "plugins:\n  acme/:\n  - trigger\n",
		wantInErr: []string{`"acme/" is neither an org nor org/repo`},
	}, {
		name:      "all problems are reported",
		yaml:      "plugins:\n  acme:\n  - lgmt\n  a/b/c:\n  - aprove\n",
		wantInErr: []string{`unknown plugin "lgmt"`, `unknown plugin "aprove"`, `"a/b/c" is neither an org nor org/repo`},
	}, {
		name:      "not YAML",
		yaml:      "plugins: [",
		wantInErr: []string{"plugins.yaml"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := plugins.ParseConfiguration("plugins.yaml", []byte(tc.yaml), newRegistry(t, "trigger", "hold"))
			if err == nil {
				t.Fatalf("ParseConfiguration() = %+v, want an error", c)
			}
			for _, want := range tc.wantInErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not contain %q:\n%v", want, err)
				}
			}
			if c != nil {
				t.Errorf("ParseConfiguration() returned a configuration along with its error")
			}
		})
	}
}

func TestEnabledFor(t *testing.T) {
	c := mustParse(t, `
plugins:
  acme:
  - trigger
  - hold
  acme/widgets:
  - lgtm
  - trigger
  acme/gadgets:
  - lgtm
  other/widgets:
  - hold
`, newRegistry(t, "hold", "lgtm", "trigger"))
	tests := []struct {
		name      string
		org, repo string
		want      []string
	}{
		{name: "org and repo entries, org first, no duplicates", org: "acme", repo: "widgets", want: []string{"trigger", "hold", "lgtm"}},
		{name: "org and another repo", org: "acme", repo: "gadgets", want: []string{"trigger", "hold", "lgtm"}},
		{name: "org entry only", org: "acme", repo: "sprockets", want: []string{"trigger", "hold"}},
		{name: "repo entry only", org: "other", repo: "widgets", want: []string{"hold"}},
		{name: "nothing enabled", org: "nobody", repo: "widgets", want: nil},
		{name: "repo of the same name in another org", org: "elsewhere", repo: "widgets", want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := c.EnabledFor(tc.org, tc.repo)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("EnabledFor(%q, %q) (-want, +got):\n%s", tc.org, tc.repo, diff)
			}
		})
	}

	t.Run("nil configuration enables nothing", func(t *testing.T) {
		var nilConfig *plugins.Configuration
		if got := nilConfig.EnabledFor("acme", "widgets"); got != nil {
			t.Errorf("EnabledFor() on nil = %v, want nil", got)
		}
	})
}

func TestTriggerFor(t *testing.T) {
	c := mustParse(t, `
triggers:
- repos:
  - acme
  trusted_org: acme-friends
- repos:
  - other/widgets
  - acme/widgets
  only_org_members: true
  trusted_apps:
  - dependabot
- repos:
  - acme
  trusted_apps:
  - never-used
`, newRegistry(t))
	tests := []struct {
		name      string
		org, repo string
		want      plugins.Trigger
	}{{
		name: "repo entry beats an earlier org entry",
		org:  "acme", repo: "widgets",
		want: plugins.Trigger{Repos: []string{"other/widgets", "acme/widgets"}, OnlyOrgMembers: true, TrustedApps: []string{"dependabot"}},
	}, {
		name: "first org entry for another repo",
		org:  "acme", repo: "gadgets",
		want: plugins.Trigger{Repos: []string{"acme"}, TrustedOrg: "acme-friends"},
	}, {
		name: "repo entry without an org entry",
		org:  "other", repo: "widgets",
		want: plugins.Trigger{Repos: []string{"other/widgets", "acme/widgets"}, OnlyOrgMembers: true, TrustedApps: []string{"dependabot"}},
	}, {
		name: "no entry: Prow's defaults",
		org:  "nobody", repo: "widgets",
		want: plugins.Trigger{},
	}, {
		name: "org name is not a prefix match",
		org:  "acme-friends", repo: "widgets",
		want: plugins.Trigger{},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := c.TriggerFor(tc.org, tc.repo)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("TriggerFor(%q, %q) (-want, +got):\n%s", tc.org, tc.repo, diff)
			}
		})
	}

	t.Run("nil configuration gives the defaults", func(t *testing.T) {
		var nilConfig *plugins.Configuration
		if diff := cmp.Diff(plugins.Trigger{}, nilConfig.TriggerFor("acme", "widgets")); diff != "" {
			t.Errorf("TriggerFor() on nil (-want, +got):\n%s", diff)
		}
	})
}

func TestRegistry(t *testing.T) {
	t.Run("names are sorted and plugins can be looked up", func(t *testing.T) {
		reg := newRegistry(t, "trigger", "hold", "lgtm")
		if diff := cmp.Diff([]string{"hold", "lgtm", "trigger"}, reg.Names()); diff != "" {
			t.Errorf("Names() (-want, +got):\n%s", diff)
		}
		if p, ok := reg.Get("hold"); !ok || p.Name != "hold" {
			t.Errorf("Get(hold) = %+v, %t; want the hold plugin", p, ok)
		}
		if _, ok := reg.Get("approve"); ok {
			t.Errorf("Get(approve) found a plugin that was never registered")
		}
	})

	t.Run("empty registry", func(t *testing.T) {
		reg := &plugins.Registry{}
		if got := reg.Names(); len(got) != 0 {
			t.Errorf("Names() = %v, want none", got)
		}
		if _, ok := reg.Get("trigger"); ok {
			t.Errorf("Get(trigger) on an empty registry found a plugin")
		}
	})

	t.Run("registering a name twice panics", func(t *testing.T) {
		reg := newRegistry(t, "hold")
		defer func() {
			if r := recover(); r == nil {
				t.Errorf("second Register(hold) did not panic")
			}
		}()
		reg.Register(plugins.Plugin{Name: "hold"})
	})
}
