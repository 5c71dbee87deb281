package plugins_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

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
	if diff := cmp.Diff(want, got); diff != "" {
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
		name:      "unknown lgtm field (Prow's sticky options are not supported)",
		yaml:      "lgtm:\n- repos: [acme]\n  store_tree_hash: true\n",
		wantInErr: []string{"store_tree_hash"},
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
		yaml:      "label:\n  restricted_labels: {}\n",
		wantInErr: []string{"restricted_labels"},
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

func TestReply(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  string
	}{
		{name: "one line", lines: []string{"`/hold`: adding label `do-not-merge/hold`."}, want: "@bob: `/hold`: adding label `do-not-merge/hold`."},
		{name: "several lines", lines: []string{"one.", "two."}, want: "@bob:\n\n- one.\n- two."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := plugins.Reply("bob", tc.lines...); got != tc.want {
				t.Errorf("Reply() = %q, want %q", got, tc.want)
			}
		})
	}
}
