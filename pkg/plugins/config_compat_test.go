/*
Copyright 2026 The bosun Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package plugins_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bosun-ci/bosun/pkg/plugins"
)

// bosunRegistry holds plugins named like the ones bosun ships (pkg/plugins/all), spelled
// out so that adding a plugin does not change what these tests expect.
func bosunRegistry(t *testing.T) *plugins.Registry {
	return newRegistry(t, "approve", "assign", "help", "hold", "label", "lgtm", "lifecycle", "trigger")
}

// TestRealPluginsYAML loads trimmed real plugins.yaml files, unchanged but for the lines
// left out (each names its source in a header comment).
func TestRealPluginsYAML(t *testing.T) {
	type repoWant struct {
		org, repo string
		want      []string
	}
	tests := []struct {
		file         string
		wantWarnings []string
		repos        []repoWant
	}{{
		file: "testdata/real/kubernetes-test-infra.yaml",
		wantWarnings: []string{
			"testdata/real/kubernetes-test-infra.yaml: plugins: Prow plugins bosun does not have are enabled and will not run: " +
				"blockade (kubernetes/kubernetes, kubernetes/test-infra); blunderbuss (kubernetes); cat (kubernetes); " +
				"cherry-pick-approved (kubernetes/kubernetes); cherry-pick-unapproved (kubernetes/kubernetes); cla (kubernetes); " +
				"config-updater (kubernetes/test-infra); dog (kubernetes); golint (kubernetes); goose (kubernetes); heart (kubernetes); " +
				"invalidcommitmsg (kubernetes); issue-management (kubernetes); mergecommitblocker (kubernetes/kubernetes); " +
				"milestone (kubernetes/kubernetes, kubernetes/system-validators, kubernetes/test-infra); milestoneapplier (kubernetes); " +
				"milestonestatus (kubernetes/kubernetes); override (kubernetes/kubernetes, kubernetes/test-infra); owners-label (kubernetes); " +
				"pony (kubernetes); project (kubernetes/test-infra); release-note (kubernetes/kubernetes); " +
				"require-matching-label (kubernetes/kubernetes, kubernetes/test-infra); retitle (kubernetes); shrug (kubernetes); " +
				"sigmention (kubernetes); size (kubernetes); skip (kubernetes); slackevents (kubernetes); testfreeze (kubernetes); " +
				"trick-or-treat (kubernetes); verify-owners (kubernetes); welcome (kubernetes); wip (kubernetes); yuks (kubernetes)",
			`testdata/real/kubernetes-test-infra.yaml:175: config_updater: ConfigMaps in clusters other than "default" are skipped, ` +
				"since bosun's hook writes only in the cluster it runs in: " +
				"config/prow/config.yaml (test-infra-trusted), label_sync/labels.yaml (k8s-infra-prow-build-trusted, test-infra-trusted)",
			"testdata/real/kubernetes-test-infra.yaml: sections bosun has no plugin or feature for, ignored: blockades (line 137), " +
				"blunderbuss (line 144), cat (line 148), external_plugins (line 276), goose (line 151), " +
				"heart (line 154), milestone_applier (line 169), owners (line 24), require_matching_label (line 198), retitle (line 205), " +
				"size (line 75), slack (line 159), welcome (line 190)",
			"testdata/real/kubernetes-test-infra.yaml:6: triggers: Prow settings bosun accepts but does not act on: join_org_url, trigger_github_workflows",
			"testdata/real/kubernetes-test-infra.yaml:115: lgtm: Prow settings bosun accepts but does not act on: review_acts_as_lgtm, store_tree_hash",
			"testdata/real/kubernetes-test-infra.yaml:30: approve: Prow settings bosun accepts but does not act on: lgtm_acts_as_approve, require_self_approval",
			"testdata/real/kubernetes-test-infra.yaml:66: help: Prow settings bosun accepts but does not act on: help_guidelines_summary, help_guidelines_url",
		},
		repos: []repoWant{{
			org: "kubernetes", repo: "kubernetes",
			want: []string{
				"approve", "assign", "blunderbuss", "cat", "cla", "dog", "golint", "goose", "heart", "help", "hold",
				"invalidcommitmsg", "issue-management", "label", "lgtm", "lifecycle", "milestoneapplier", "owners-label",
				"pony", "retitle", "shrug", "sigmention", "size", "skip", "slackevents", "testfreeze", "trick-or-treat",
				"trigger", "verify-owners", "welcome", "wip", "yuks",
				"blockade", "cherry-pick-approved", "cherry-pick-unapproved", "mergecommitblocker", "milestone",
				"milestonestatus", "override", "release-note", "require-matching-label",
			},
		}, {
			org: "google", repo: "cadvisor", want: []string{"trigger"},
		}, {
			org: "google", repo: "go-github", want: nil,
		}},
	}, {
		file: "testdata/real/oss-test-infra.yaml",
		wantWarnings: []string{
			"testdata/real/oss-test-infra.yaml: plugins: Prow plugins bosun does not have are enabled and will not run: " +
				"blunderbuss (GoogleCloudPlatform/artifact-registry-apt-transport, GoogleCloudPlatform/oss-test-infra, kubeflow); " +
				"cat (GoogleCloudPlatform); config-updater (GoogleCloudPlatform/oss-test-infra); dog (GoogleCloudPlatform); " +
				"golint (GoogleCloudPlatform, kubeflow); heart (GoogleCloudPlatform/oss-test-infra); milestone (kubeflow); " +
				"milestoneapplier (kubeflow); override (GoogleCloudPlatform/oss-test-infra, kubeflow); " +
				"owners-label (GoogleCloudPlatform/artifact-registry-apt-transport, GoogleCloudPlatform/oss-test-infra, kubeflow); " +
				"pony (GoogleCloudPlatform); project (kubeflow); retitle (kubeflow); shrug (GoogleCloudPlatform); " +
				"size (GoogleCloudPlatform/artifact-registry-apt-transport, GoogleCloudPlatform/oss-test-infra, kubeflow); " +
				"skip (kubeflow); transfer-issue (kubeflow); " +
				"verify-owners (GoogleCloudPlatform/artifact-registry-apt-transport, GoogleCloudPlatform/oss-test-infra, kubeflow); " +
				"wip (GoogleCloudPlatform/oss-test-infra, kubeflow); yuks (GoogleCloudPlatform)",
			"testdata/real/oss-test-infra.yaml: plugins: entries for repositories named by URL (Prow's Gerrit repositories) are ignored, " +
				"since bosun serves GitHub: https://kunit-review.googlesource.com/linux, https://linux-review.googlesource.com/linux/kernel/git/torvalds/linux",
			"testdata/real/oss-test-infra.yaml: sections bosun has no plugin or feature for, ignored: blunderbuss (line 71), " +
				"external_plugins (line 211), milestone_applier (line 121), repo_milestone (line 110)",
			"testdata/real/oss-test-infra.yaml:18: triggers: Prow settings bosun accepts but does not act on: join_org_url, trigger_github_workflows",
			"testdata/real/oss-test-infra.yaml:74: lgtm: Prow settings bosun accepts but does not act on: review_acts_as_lgtm, trusted_team_for_sticky_lgtm",
			"testdata/real/oss-test-infra.yaml:49: approve: Prow settings bosun accepts but does not act on: commandHelpLink, ignore_review_state, require_self_approval",
		},
		repos: []repoWant{{
			org: "GoogleCloudPlatform", repo: "oss-test-infra",
			want: []string{
				"assign", "cat", "dog", "golint", "hold", "label", "pony", "shrug", "trigger", "yuks",
				"approve", "blunderbuss", "config-updater", "heart", "lgtm", "lifecycle", "override", "owners-label",
				"size", "verify-owners", "wip",
			},
		}, {
			org: "kubeflow", repo: "pipelines",
			want: []string{
				"approve", "assign", "blunderbuss", "golint", "help", "hold", "label", "lgtm", "lifecycle", "milestone",
				"milestoneapplier", "override", "owners-label", "project", "retitle", "size", "skip", "transfer-issue",
				"trigger", "verify-owners", "wip",
			},
		}},
	}, {
		file: "testdata/real/lighthouse.yaml",
		wantWarnings: []string{
			"testdata/real/lighthouse.yaml: plugins: Prow plugins bosun does not have are enabled and will not run: " +
				"cat (jenkins-x/dummy, test-org/bdd-gh-1571894662); config-updater (jenkins-x/dummy, test-org/bdd-gh-1571894662); " +
				"override (jenkins-x/dummy, test-org/bdd-gh-1571894662); size (jenkins-x/dummy, test-org/bdd-gh-1571894662); " +
				"wip (jenkins-x/dummy, test-org/bdd-gh-1571894662)",
			"testdata/real/lighthouse.yaml: sections bosun has no plugin or feature for, ignored: cat (line 14), " +
				"cherry_pick_unapproved (line 15), external_plugins (line 17), heart (line 20), " +
				"owners (line 21), requiresig (line 49), sigmention (line 50), welcome (line 58)",
			"testdata/real/lighthouse.yaml:5: approve: Prow settings bosun accepts but does not act on: lgtm_acts_as_approve, require_self_approval",
		},
		repos: []repoWant{{
			org: "jenkins-x", repo: "dummy",
			want: []string{"config-updater", "approve", "assign", "help", "hold", "lgtm", "lifecycle", "size", "trigger", "wip", "cat", "override"},
		}, {
			org: "test-org", repo: "environment-braidsalt-staging", want: nil,
		}},
	}}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			c, err := plugins.LoadConfiguration(tc.file, bosunRegistry(t))
			if err != nil {
				t.Fatalf("LoadConfiguration() error:\n%v", err)
			}
			if diff := cmp.Diff(tc.wantWarnings, c.Warnings()); diff != "" {
				t.Errorf("Warnings() (-want, +got):\n%s", diff)
			}
			for _, r := range tc.repos {
				if diff := cmp.Diff(r.want, c.EnabledFor(r.org, r.repo)); diff != "" {
					t.Errorf("EnabledFor(%q, %q) (-want, +got):\n%s", r.org, r.repo, diff)
				}
			}
		})
	}
}

func TestPluginsShapes(t *testing.T) {
	reg := newRegistry(t, "hold", "lgtm", "trigger")
	oldShape := mustParse(t, `
plugins:
  acme: [trigger, hold]
  acme/widgets: [lgtm]
`, reg)
	newShape := mustParse(t, `
plugins:
  acme:
    plugins: [trigger, hold]
    excluded_repos: [gadgets, Acme/Sprockets]
  acme/widgets:
    plugins: [lgtm]
  acme/gadgets:
    plugins: [lgtm]
  other:
    plugins: [hold]
  other/empty:
`, reg)
	tests := []struct {
		name      string
		c         *plugins.Configuration
		org, repo string
		want      []string
	}{
		{name: "old shape: org and repo", c: oldShape, org: "acme", repo: "widgets", want: []string{"trigger", "hold", "lgtm"}},
		{name: "old shape: org only", c: oldShape, org: "acme", repo: "gadgets", want: []string{"trigger", "hold"}},
		{name: "new shape: org and repo", c: newShape, org: "acme", repo: "widgets", want: []string{"trigger", "hold", "lgtm"}},
		{name: "new shape: excluded repository keeps its own entry only", c: newShape, org: "acme", repo: "gadgets", want: []string{"lgtm"}},
		{name: "new shape: excluded as org/repo, ignoring case", c: newShape, org: "acme", repo: "sprockets", want: nil},
		{name: "new shape: not excluded", c: newShape, org: "acme", repo: "gizmos", want: []string{"trigger", "hold"}},
		{name: "new shape: exclusion is per org", c: newShape, org: "other", repo: "gadgets", want: []string{"hold"}},
		{name: "new shape: repository entry with nothing", c: newShape, org: "other", repo: "empty", want: []string{"hold"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.c.EnabledFor(tc.org, tc.repo)); diff != "" {
				t.Errorf("EnabledFor(%q, %q) (-want, +got):\n%s", tc.org, tc.repo, diff)
			}
		})
	}
	merged := mustParse(t, "triggers:\n- &base\n  repos: [acme]\n  only_org_members: true\n- <<: *base\n  trusted_org: friends\n", reg)
	if got := merged.Triggers[1]; !got.OnlyOrgMembers || got.TrustedOrg != "friends" {
		t.Errorf("triggers[1] = %+v, want only_org_members merged from the anchor", got)
	}
	if got := newShape.Warnings(); got != nil {
		t.Errorf("Warnings() = %q, want none", got)
	}
}

func TestProwCompatWarnings(t *testing.T) {
	c := mustParse(t, `
plugins:
  acme:
    plugins: [trigger, blunderbuss, cat]
  acme/widgets: [cat]
  https://gerrit.example.com/widgets: [trigger]
blunderbuss:
  max_request_count: 2
external_plugins:
  acme:
  - name: needs-rebase
triggers:
- repos: [acme]
  trusted_apps: [dependabot]
  join_org_url: https://example.com/join
  ignore_ok_to_test: true
  elide_skipped_contexts: true
lgtm:
- repos: [acme]
  review_acts_as_lgtm: true
  store_tree_hash: true
  trusted_team_for_sticky_lgtm: leads
label:
  restricted_labels:
    acme:
    - label: cherry-pick-approved
      assign_on:
      - label: cherry-pick-candidate
approve:
- repos: [acme]
  require_self_approval: false
  lgtm_acts_as_approve: true
  ignore_review_state: true
`, newRegistry(t, "trigger", "lgtm", "label", "approve"))
	want := []string{
		"plugins.yaml: plugins: Prow plugins bosun does not have are enabled and will not run: blunderbuss (acme); cat (acme, acme/widgets)",
		"plugins.yaml: plugins: entries for repositories named by URL (Prow's Gerrit repositories) are ignored, since bosun serves GitHub: https://gerrit.example.com/widgets",
		"plugins.yaml: sections bosun has no plugin or feature for, ignored: blunderbuss (line 7), external_plugins (line 9)",
		"plugins.yaml:12: triggers: Prow settings bosun accepts but does not act on: elide_skipped_contexts, ignore_ok_to_test, join_org_url",
		"plugins.yaml:18: lgtm: Prow settings bosun accepts but does not act on: review_acts_as_lgtm, store_tree_hash, trusted_team_for_sticky_lgtm",
		"plugins.yaml:23: label: Prow settings bosun accepts but does not act on: assign_on",
		"plugins.yaml:29: approve: Prow settings bosun accepts but does not act on: ignore_review_state, lgtm_acts_as_approve, require_self_approval",
	}
	if diff := cmp.Diff(want, c.Warnings()); diff != "" {
		t.Errorf("Warnings() (-want, +got):\n%s", diff)
	}
	if diff := cmp.Diff(plugins.Trigger{Repos: []string{"acme"}, TrustedApps: []string{"dependabot"}, JoinOrgURL: "https://example.com/join", IgnoreOkToTest: true, ElideSkippedContexts: true}, c.TriggerFor("acme", "widgets")); diff != "" {
		t.Errorf("TriggerFor() (-want, +got):\n%s", diff)
	}
	var nilConfig *plugins.Configuration
	if got := nilConfig.Warnings(); got != nil {
		t.Errorf("Warnings() on nil = %q, want nil", got)
	}
}

func TestProwCompatErrors(t *testing.T) {
	tests := []struct {
		name      string
		yaml      string
		wantInErr []string
	}{{
		name:      "misspelled key in an org's plugins",
		yaml:      "plugins:\n  acme:\n    plugin: [trigger]\n",
		wantInErr: []string{`plugins.yaml:3: unknown field "plugins.acme.plugin" (did you mean "plugins"?)`},
	}, {
		name:      "unknown plugin in the new shape points at its line",
		yaml:      "plugins:\n  acme:\n    plugins:\n    - trigger\n    - triger\n",
		wantInErr: []string{`plugins.yaml:5: plugins: acme: unknown plugin "triger" (did you mean "trigger"?)`},
	}, {
		name:      "misspelled excluded_repos",
		yaml:      "plugins:\n  acme:\n    plugins: [trigger]\n    exclude_repos: [widgets]\n",
		wantInErr: []string{`plugins.yaml:4: unknown field "plugins.acme.exclude_repos" (did you mean "excluded_repos"?)`},
	}, {
		name:      "excluded_repos on a repository",
		yaml:      "plugins:\n  acme/widgets:\n    plugins: [trigger]\n    excluded_repos: [gadgets]\n",
		wantInErr: []string{`plugins.yaml:2: plugins: acme/widgets: excluded_repos applies to an org's plugins, and "acme/widgets" is a repository`},
	}, {
		name: "excluded repository of another org or of the wrong shape",
		yaml: "plugins:\n  acme:\n    plugins: [trigger]\n    excluded_repos: [other/widgets, a/b/c, '', 'acme/']\n",
		wantInErr: []string{
			`plugins.yaml:2: plugins: acme: excluded_repos: "other/widgets" is not a repository of acme`,
			`excluded_repos: "a/b/c" is not a repository of acme`,
			`excluded_repos: "" is not a repository of acme`,
			`excluded_repos: "acme/" is not a repository of acme`,
		},
	}, {
		name:      "misspelled key merged from an anchor",
		yaml:      "approve:\n- &base\n  repos: [acme]\n  lgtm_acts_as_aprove: true\n- <<: *base\n  issue_required: true\n",
		wantInErr: []string{`plugins.yaml:4: unknown field "approve[0].lgtm_acts_as_aprove"`, `plugins.yaml:4: unknown field "approve[1].lgtm_acts_as_aprove"`},
	}, {
		name:      "misspelled approve field",
		yaml:      "approve:\n- repos: [acme]\n  require_self_aproval: true\n",
		wantInErr: []string{`plugins.yaml:3: unknown field "approve[0].require_self_aproval" (did you mean "require_self_approval"?)`},
	}, {
		name:      "misspelled help field",
		yaml:      "help:\n  help_guideline_url: https://example.com\n",
		wantInErr: []string{`plugins.yaml:2: unknown field "help.help_guideline_url" (did you mean "help_guidelines_url"?)`},
	}, {
		name:      "misspelled restricted label field",
		yaml:      "label:\n  restricted_labels:\n    acme:\n    - label: x\n      allowed_user: [alice]\n",
		wantInErr: []string{`plugins.yaml:5: unknown field "label.restricted_labels.acme[0].allowed_user" (did you mean "allowed_users"?)`},
	}, {
		name:      "key in the wrong case",
		yaml:      "triggers:\n- Repos: [acme]\n",
		wantInErr: []string{`plugins.yaml:2: unknown field "triggers[0].Repos" (did you mean "repos"?)`},
	}, {
		name:      "unknown section far from any known one",
		yaml:      "zzz: {}\n",
		wantInErr: []string{`plugins.yaml:1: unknown field "zzz"`},
	}, {
		name:      "misspelled ignored section",
		yaml:      "blunderbus:\n  max_request_count: 2\n",
		wantInErr: []string{`plugins.yaml:1: unknown field "blunderbus" (did you mean "blunderbuss"?)`},
	}, {
		name:      "Prow setting of the wrong type",
		yaml:      "lgtm:\n- repos: [acme]\n  store_tree_hash: [yes]\n",
		wantInErr: []string{"plugins.yaml", "store_tree_hash"},
	}, {
		name:      "not a mapping",
		yaml:      "- trigger\n",
		wantInErr: []string{"plugins.yaml: the file must be a mapping of sections"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := plugins.ParseConfiguration("plugins.yaml", []byte(tc.yaml), newRegistry(t, "trigger"))
			if err == nil {
				t.Fatalf("ParseConfiguration() = %+v, want an error", c)
			}
			for _, want := range tc.wantInErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not contain %q:\n%v", want, err)
				}
			}
			if tc.name == "unknown section far from any known one" && strings.Contains(err.Error(), "did you mean") {
				t.Errorf("error suggests a name for a key like none:\n%v", err)
			}
		})
	}
}
