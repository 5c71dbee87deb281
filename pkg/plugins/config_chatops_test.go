package plugins_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/bosun-ci/bosun/pkg/plugins"
)

func TestParseChatOpsSections(t *testing.T) {
	got := mustParse(t, `
lgtm:
- repos: [acme, other/widgets]
  retain_label_on_push: true
- repos: [acme/widgets]
label:
  additional_labels: [tide/merge-method-squash, needs-rebase]
`, newRegistry(t))
	want := &plugins.Configuration{
		Lgtm: []plugins.Lgtm{
			{Repos: []string{"acme", "other/widgets"}, RetainLabelOnPush: true},
			{Repos: []string{"acme/widgets"}},
		},
		Label: plugins.Label{AdditionalLabels: []string{"tide/merge-method-squash", "needs-rebase"}},
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(plugins.Configuration{})); diff != "" {
		t.Errorf("ParseConfiguration() (-want, +got):\n%s", diff)
	}
}

func TestParseChatOpsSectionErrors(t *testing.T) {
	tests := []struct {
		name      string
		yaml      string
		wantInErr []string
	}{{
		name:      "lgtm block without repos",
		yaml:      "lgtm:\n- retain_label_on_push: true\n",
		wantInErr: []string{"plugins.yaml: lgtm[0]: repos is empty"},
	}, {
		name:      "lgtm repo of the wrong shape",
		yaml:      "lgtm:\n- repos: [acme/widgets/extra, '']\n",
		wantInErr: []string{`lgtm[0]: "acme/widgets/extra" is neither an org nor org/repo`, `lgtm[0]: "" is neither an org nor org/repo`},
	}, {
		name:      "lgtm repo in two blocks",
		yaml:      "lgtm:\n- repos: [acme]\n- repos: [other, Acme]\n",
		wantInErr: []string{`lgtm[1]: "Acme" is already configured by lgtm[0]`},
	}, {
		name:      "misspelled lgtm field",
		yaml:      "lgtm:\n- repos: [acme]\n  store_tree_hsh: true\n",
		wantInErr: []string{`plugins.yaml:3: unknown field "lgtm[0].store_tree_hsh" (did you mean "store_tree_hash"?)`},
	}, {
		name:      "additional label with a space",
		yaml:      "label:\n  additional_labels: ['good first issue']\n",
		wantInErr: []string{`label: additional_labels: "good first issue" contains a space, which /label cannot name`},
	}, {
		name:      "additional label twice and empty",
		yaml:      "label:\n  additional_labels: [squash, Squash, '']\n",
		wantInErr: []string{`"Squash" is listed twice`, "empty label name"},
	}, {
		name:      "unknown label field",
		yaml:      "label:\n  restricted_label: {}\n",
		wantInErr: []string{"restricted_label"},
	}, {
		name:      "additional label longer than GitHub allows",
		yaml:      "label:\n  additional_labels: [" + strings.Repeat("x", 51) + "]\n",
		wantInErr: []string{"is longer than the 50 characters GitHub allows in a label name"},
	}, {
		name:      "restricted label without a name",
		yaml:      "label:\n  restricted_labels:\n    acme:\n    - allowed_users: [alice]\n",
		wantInErr: []string{`plugins.yaml: label: restricted_labels: "acme"[0]: label: empty label name`},
	}, {
		name: "restricted_labels keys of the wrong shape",
		yaml: "label:\n  restricted_labels:\n    acme/widgets/extra:\n    - label: x\n    '':\n    - label: y\n    '**':\n    - label: z\n",
		wantInErr: []string{
			`restricted_labels: "acme/widgets/extra": the key is neither "*", an org nor org/repo`,
			`restricted_labels: "": the key is neither "*", an org nor org/repo`,
			`restricted_labels: "**": the key is neither "*", an org nor org/repo`,
		},
	}, {
		name:      "restricted_labels key written twice in different case",
		yaml:      "label:\n  restricted_labels:\n    acme:\n    - label: x\n    ACME:\n    - label: y\n",
		wantInErr: []string{`restricted_labels: "acme": the key is also written "ACME"`},
	}, {
		name: "restricted label listed twice under one key, with a space, bad users, teams and assign_on",
		yaml: `
label:
  restricted_labels:
    '*':
    - label: cherry-pick-approved
    - label: Cherry-Pick-Approved
    - label: good first issue
    - label: release-blocker
      allowed_users: ['@alice', '']
      allowed_teams: [acme/leads]
      assign_on:
      - label: ''
`,
		wantInErr: []string{
			`restricted_labels: "*"[1]: label "Cherry-Pick-Approved" is listed twice`,
			`restricted_labels: "*"[2]: label: "good first issue" contains a space`,
			`restricted_labels: "*"[3]: allowed_users: "@alice" is not a GitHub login (written without @)`,
			`restricted_labels: "*"[3]: allowed_users: "" is not a GitHub login`,
			`restricted_labels: "*"[3]: allowed_teams: "acme/leads" is not a team slug`,
			`restricted_labels: "*"[3]: assign_on[0]: label: empty label name`,
		},
	}, {
		name:      "unknown restricted label field",
		yaml:      "label:\n  restricted_labels:\n    acme:\n    - label: x\n      allowed_orgs: [acme]\n",
		wantInErr: []string{"allowed_orgs"},
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

func TestLgtmFor(t *testing.T) {
	c := mustParse(t, `
lgtm:
- repos: [acme]
  retain_label_on_push: true
- repos: [acme/widgets]
`, newRegistry(t))
	tests := []struct {
		name      string
		org, repo string
		want      plugins.Lgtm
	}{
		{name: "repository entry wins", org: "acme", repo: "widgets", want: plugins.Lgtm{Repos: []string{"acme/widgets"}}},
		{name: "org entry", org: "ACME", repo: "gadgets", want: plugins.Lgtm{Repos: []string{"acme"}, RetainLabelOnPush: true}},
		{name: "no entry means the defaults", org: "other", repo: "widgets", want: plugins.Lgtm{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, c.LgtmFor(tc.org, tc.repo)); diff != "" {
				t.Errorf("LgtmFor(%q, %q) (-want, +got):\n%s", tc.org, tc.repo, diff)
			}
		})
	}
	t.Run("nil configuration", func(t *testing.T) {
		var nilConfig *plugins.Configuration
		if diff := cmp.Diff(plugins.Lgtm{}, nilConfig.LgtmFor("acme", "widgets")); diff != "" {
			t.Errorf("LgtmFor() on nil (-want, +got):\n%s", diff)
		}
		if got := nilConfig.AdditionalLabels(); got != nil {
			t.Errorf("AdditionalLabels() on nil = %v, want nil", got)
		}
	})
}

func TestParseRestrictedLabels(t *testing.T) {
	got := mustParse(t, `
label:
  restricted_labels:
    '*':
    - label: cherry-pick-approved
      allowed_teams: [release-managers]
      allowed_users: [bob]
      assign_on:
      - label: cherry-pick-candidate
    acme/widgets:
    - label: priority/critical-urgent
      allowed_users: [carol]
`, newRegistry(t))
	want := plugins.Label{RestrictedLabels: map[string][]plugins.RestrictedLabel{
		"*": {{
			Label:        "cherry-pick-approved",
			AllowedTeams: []string{"release-managers"},
			AllowedUsers: []string{"bob"},
			AssignOn:     []plugins.AssignOnLabel{{Label: "cherry-pick-candidate"}},
		}},
		"acme/widgets": {{Label: "priority/critical-urgent", AllowedUsers: []string{"carol"}}},
	}}
	if diff := cmp.Diff(want, got.Label); diff != "" {
		t.Errorf("ParseConfiguration() label (-want, +got):\n%s", diff)
	}
}

func TestRestrictedLabelsFor(t *testing.T) {
	c := mustParse(t, `
label:
  restricted_labels:
    '*':
    - label: cherry-pick-approved
      allowed_teams: [release-managers]
      allowed_users: [bob]
    - label: ok-to-test
      allowed_teams: [triage]
    Acme:
    - label: Cherry-Pick-Approved
      allowed_teams: [Release-Managers, acme-leads]
      allowed_users: [BOB, carol]
      assign_on:
      - label: cherry-pick-candidate
    acme/widgets:
    - label: priority/critical-urgent
      allowed_users: [dave]
    - label: CHERRY-PICK-APPROVED
      allowed_users: [erin]
    other/widgets:
    - label: never-here
`, newRegistry(t))
	everywhere := []plugins.RestrictedLabel{
		{Label: "cherry-pick-approved", AllowedTeams: []string{"release-managers"}, AllowedUsers: []string{"bob"}},
		{Label: "ok-to-test", AllowedTeams: []string{"triage"}},
	}
	tests := []struct {
		name      string
		org, repo string
		want      []plugins.RestrictedLabel
	}{{
		name: "global, org and repository entries merged per label, users and teams unioned",
		org:  "acme", repo: "widgets",
		want: []plugins.RestrictedLabel{{
			Label:        "cherry-pick-approved",
			AllowedTeams: []string{"release-managers", "acme-leads"},
			AllowedUsers: []string{"bob", "carol", "erin"},
			AssignOn:     []plugins.AssignOnLabel{{Label: "cherry-pick-candidate"}},
		}, {
			Label: "ok-to-test", AllowedTeams: []string{"triage"},
		}, {
			Label: "priority/critical-urgent", AllowedUsers: []string{"dave"},
		}},
	}, {
		name: "org entries match ignoring case; another repository gets no repository entries",
		org:  "ACME", repo: "gadgets",
		want: []plugins.RestrictedLabel{{
			Label:        "cherry-pick-approved",
			AllowedTeams: []string{"release-managers", "acme-leads"},
			AllowedUsers: []string{"bob", "carol"},
			AssignOn:     []plugins.AssignOnLabel{{Label: "cherry-pick-candidate"}},
		}, everywhere[1]},
	}, {
		name: "another org gets the global entries only",
		org:  "elsewhere", repo: "widgets",
		want: everywhere,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, c.RestrictedLabelsFor(tc.org, tc.repo)); diff != "" {
				t.Errorf("RestrictedLabelsFor(%q, %q) (-want, +got):\n%s", tc.org, tc.repo, diff)
			}
		})
	}
	t.Run("nil configuration restricts nothing", func(t *testing.T) {
		var nilConfig *plugins.Configuration
		if got := nilConfig.RestrictedLabelsFor("acme", "widgets"); got != nil {
			t.Errorf("RestrictedLabelsFor() on nil = %v, want nil", got)
		}
	})
}
