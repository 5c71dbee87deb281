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

func TestConfigMapsFor(t *testing.T) {
	c := mustParse(t, `
plugins:
  acme/infra: [config-updater]
config_updater:
  gzip: true
  cluster_groups:
    here-and-there:
      clusters: [default, build-1]
      namespaces: [ci, jobs]
  maps:
    config/jobs/**/*.{yaml,yml}:
      name: job-config
      gzip: false
      use_full_path_as_key: true
    config/prow/config.yaml:
      name: config
    config/prow/plugins.yaml:
      name: plugins
      key: plugins.yaml
      clusters:
        default: [ci, "", ci]
    labels/*.yaml:
      partitioned_names: [labels-0, labels-1]
      cluster_groups: [here-and-there]
      allowed_repos: [acme/infra]
      denied_repos: [acme/infra-fork]
`, newRegistry(t, "config-updater"))
	wantAll := []plugins.ConfigMapTarget{
		{Pattern: "config/prow/config.yaml", Names: []string{"config"}, GZIP: true, Namespaces: []string{""}},
		{Pattern: "config/prow/plugins.yaml", Names: []string{"plugins"}, Key: "plugins.yaml", GZIP: true, Namespaces: []string{"", "ci"}},
		{Pattern: "config/jobs/**/*.{yaml,yml}", Names: []string{"job-config"}, UseFullPathAsKey: true, Namespaces: []string{""}},
		{Pattern: "labels/*.yaml", Names: []string{"labels-0", "labels-1"}, GZIP: true, Namespaces: []string{"ci", "jobs"}},
	}
	ignore := cmpopts.IgnoreUnexported(plugins.ConfigMapTarget{})
	if diff := cmp.Diff(wantAll, c.ConfigMapsFor("acme", "infra"), ignore); diff != "" {
		t.Errorf("ConfigMapsFor(acme, infra) (-want, +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantAll[:3], c.ConfigMapsFor("Acme", "infra-fork"), ignore); diff != "" {
		t.Errorf("ConfigMapsFor(Acme, infra-fork): the denied repository still gets a ConfigMap (-want, +got):\n%s", diff)
	}
	wantWarnings := []string{`plugins.yaml:4: config_updater: ConfigMaps in clusters other than "default" are skipped, ` +
		`since bosun's hook writes only in the cluster it runs in: labels/*.yaml (build-1)`}
	if diff := cmp.Diff(wantWarnings, c.Warnings()); diff != "" {
		t.Errorf("Warnings() (-want, +got):\n%s", diff)
	}

	jobs := c.ConfigMapsFor("acme", "infra")[2]
	tests := []struct {
		file    string
		matches bool
		key     string
	}{
		{file: "config/jobs/a.yaml", matches: true, key: "config-jobs-a.yaml"},
		{file: "config/jobs/acme/infra/b.yml", matches: true, key: "config-jobs-acme-infra-b.yml"},
		{file: "config/jobs/a.json"},
		{file: "config/jobsx/a.yaml"},
		{file: "other/config/jobs/a.yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			if got := jobs.Matches(tc.file); got != tc.matches {
				t.Errorf("Matches(%q) = %v, want %v", tc.file, got, tc.matches)
			}
			if tc.matches {
				if got := jobs.KeyFor(tc.file); got != tc.key {
					t.Errorf("KeyFor(%q) = %q, want %q", tc.file, got, tc.key)
				}
			}
		})
	}
	labels := c.ConfigMapsFor("acme", "infra")[3]
	// A key's partition depends on the key alone (the first byte of its SHA-256, as in
	// Prow), and keys spread over all partitions.
	seen := map[string]bool{}
	for _, key := range []string{"a.yaml", "b.yaml", "c.yaml", "d.yaml", "e.yaml", "f.yaml"} {
		name := labels.NameFor(key)
		if name != labels.NameFor(key) {
			t.Errorf("NameFor(%q) changes between calls", key)
		}
		seen[name] = true
	}
	if len(seen) != 2 {
		t.Errorf("NameFor put six keys in %v, want both partitions used", seen)
	}
}

func TestConfigMapsForDefaults(t *testing.T) {
	// Lighthouse's sample plugins.yaml holds "config_updater: {}": Prow's defaults apply.
	c, err := plugins.LoadConfiguration("testdata/real/lighthouse.yaml", bosunRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []plugins.ConfigMapTarget{
		{Pattern: "config/prow/config.yaml", Names: []string{"config"}, Namespaces: []string{""}},
		{Pattern: "config/prow/plugins.yaml", Names: []string{"plugins"}, Namespaces: []string{""}},
	}
	if diff := cmp.Diff(want, c.ConfigMapsFor("jenkins-x", "dummy"), cmpopts.IgnoreUnexported(plugins.ConfigMapTarget{})); diff != "" {
		t.Errorf("ConfigMapsFor() (-want, +got):\n%s", diff)
	}
	// The brace glob of GoogleCloudPlatform's file matches both extensions.
	c, err = plugins.LoadConfiguration("testdata/real/oss-test-infra.yaml", bosunRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	var jobs plugins.ConfigMapTarget
	for _, m := range c.ConfigMapsFor("GoogleCloudPlatform", "oss-test-infra") {
		if m.Names[0] == "job-config" {
			jobs = m
		}
	}
	for _, f := range []string{"prow/prowjobs/GoogleCloudPlatform/oss-test-infra/a.yaml", "prow/prowjobs/b.yml"} {
		if !jobs.Matches(f) {
			t.Errorf("%q does not match %q", f, jobs.Pattern)
		}
	}
}

func TestConfigUpdaterRetiredNamespaces(t *testing.T) {
	c := mustParse(t, `
config_updater:
  maps:
    a.yaml: {name: a, namespace: ci, additional_namespaces: [jobs]}
    b.yaml: {name: b, namespace: ignored, clusters: {default: [ci]}}
`, newRegistry(t))
	want := []plugins.ConfigMapTarget{
		{Pattern: "a.yaml", Names: []string{"a"}, Namespaces: []string{"ci", "jobs"}},
		{Pattern: "b.yaml", Names: []string{"b"}, Namespaces: []string{"ci"}},
	}
	if diff := cmp.Diff(want, c.ConfigMapsFor("acme", "infra"), cmpopts.IgnoreUnexported(plugins.ConfigMapTarget{})); diff != "" {
		t.Errorf("ConfigMapsFor() (-want, +got):\n%s", diff)
	}
	wantWarnings := []string{"plugins.yaml:2: config_updater: namespace and additional_namespaces are keys Prow retired (use clusters: {default: [...]}); " +
		"bosun uses them only where neither clusters nor cluster_groups is set: a.yaml, b.yaml"}
	if diff := cmp.Diff(wantWarnings, c.Warnings()); diff != "" {
		t.Errorf("Warnings() (-want, +got):\n%s", diff)
	}
}

func TestConfigUpdaterErrors(t *testing.T) {
	tests := []struct {
		name      string
		yaml      string
		wantInErr []string
	}{{
		name:      "unclosed brace",
		yaml:      "config_updater:\n  maps:\n    config/{a,b.yaml:\n      name: config\n",
		wantInErr: []string{`plugins.yaml:3: config_updater: maps: "config/{a,b.yaml": not a valid glob: "{" without "}"`},
	}, {
		name:      "bad character class",
		yaml:      "config_updater:\n  maps:\n    config/[a.yaml:\n      name: config\n",
		wantInErr: []string{`plugins.yaml:3: config_updater: maps: "config/[a.yaml": not a valid glob: "[a.yaml": syntax error in pattern`},
	}, {
		name:      "absolute path",
		yaml:      "config_updater:\n  maps:\n    /config.yaml: {name: config}\n",
		wantInErr: []string{`plugins.yaml:3: config_updater: maps: "/config.yaml": the path starts with "/"`},
	}, {
		name:      "no name",
		yaml:      "config_updater:\n  maps:\n    config.yaml: {key: c}\n",
		wantInErr: []string{`plugins.yaml:3: config_updater: maps: "config.yaml": name is empty`},
	}, {
		name:      "name and partitions",
		yaml:      "config_updater:\n  maps:\n    config.yaml: {name: c, partitioned_names: [c0, c1]}\n",
		wantInErr: []string{"name and partitioned_names are mutually exclusive"},
	}, {
		name:      "invalid names",
		yaml:      "config_updater:\n  maps:\n    config.yaml: {name: Config_Map, key: 'a key', clusters: {default: [Bad_NS]}}\n",
		wantInErr: []string{`"Config_Map" is not a valid ConfigMap name`, `key: "a key" is not a valid ConfigMap key`, `"Bad_NS" is not a valid namespace`},
	}, {
		name:      "clusters and groups",
		yaml:      "config_updater:\n  cluster_groups:\n    g: {clusters: [default]}\n  maps:\n    a.yaml: {name: a, clusters: {default: [ci]}, cluster_groups: [g]}\n",
		wantInErr: []string{"plugins.yaml:5: config_updater: maps: \"a.yaml\": clusters and cluster_groups are mutually exclusive"},
	}, {
		name:      "undefined group",
		yaml:      "config_updater:\n  cluster_groups:\n    trusted: {clusters: [default]}\n  maps:\n    a.yaml: {name: a, cluster_groups: [trustd]}\n",
		wantInErr: []string{`cluster_groups: "trustd" is not defined in config_updater.cluster_groups (did you mean "trusted"?)`},
	}, {
		name:      "one key from two files",
		yaml:      "config_updater:\n  maps:\n    a/config.yaml: {name: config}\n    b/config.yaml: {name: config}\n",
		wantInErr: []string{`plugins.yaml:4: config_updater: maps: "b/config.yaml": key "config.yaml" of ConfigMap "config" is also written from "a/config.yaml"`},
	}, {
		name:      "misspelled key",
		yaml:      "config_updater:\n  maps:\n    a.yaml: {name: a, namespaces: [ci]}\n",
		wantInErr: []string{`plugins.yaml:3: unknown field "config_updater.maps.a.yaml.namespaces" (did you mean "namespace"?)`},
	}, {
		name:      "bad repository",
		yaml:      "config_updater:\n  maps:\n    a.yaml: {name: a, allowed_repos: [a/b/c]}\n",
		wantInErr: []string{`allowed_repos and denied_repos: "a/b/c" is neither an org nor org/repo`},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := plugins.ParseConfiguration("plugins.yaml", []byte(tc.yaml), newRegistry(t))
			if err == nil {
				t.Fatalf("ParseConfiguration() = %+v, want an error", c)
			}
			for _, want := range tc.wantInErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not contain %q:\n%v", want, err)
				}
			}
		})
	}
}
