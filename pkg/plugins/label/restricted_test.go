package label

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/bosun-ci/bosun/test/plugintest"
)

// restrictedYAML lets /label set ok-to-test, needs-rebase and cherry-pick-approved, and
// restricts cherry-pick-approved (erin, or the release-managers team, from the "*" and
// repository entries merged), priority/critical-urgent (the team, from the org entry) and
// release-blocker (erin), which additional_labels does not list.
const restrictedYAML = `
label:
  additional_labels: [ok-to-test, needs-rebase, cherry-pick-approved]
  restricted_labels:
    '*':
    - label: cherry-pick-approved
      allowed_users: [erin]
    acme:
    - label: priority/critical-urgent
      allowed_teams: [release-managers]
    acme/widgets:
    - label: Cherry-Pick-Approved
      allowed_teams: [release-managers]
    - label: release-blocker
      allowed_users: [Erin]
`

const (
	// grabLGTM allows and restricts lgtm and approved in every way plugins.yaml can.
	grabLGTM = `
label:
  additional_labels: [lgtm, approved]
  restricted_labels:
    acme:
    - label: lgtm
      allowed_users: [carol]
`
	// restrictOkToTest restricts ok-to-test to erin, whom the trigger does not trust.
	restrictOkToTest = `
label:
  additional_labels: [ok-to-test]
  restricted_labels:
    acme/widgets:
    - label: ok-to-test
      allowed_users: [erin]
`
	membershipsPath = "/orgs/acme/teams/release-managers/memberships/"
	membersPath     = "/orgs/acme/members/"
	collabsPath     = "/repos/acme/widgets/collaborators/"
)

// TestTrustAndRestrictedLabels: labels that grant trust or merge rights are changed through
// label commands only by those allowed to. In the fixtures carol is an org member (MEMBER),
// bob a collaborator (COLLABORATOR), dave an org member the payload calls NONE, and mallory,
// erin, frank and gina have no access; frank is in the release-managers team and gina was
// invited to it and has not accepted.
func TestTrustAndRestrictedLabels(t *testing.T) {
	var (
		carol   = plugintest.By("carol", "MEMBER")
		owner   = plugintest.By("carol", "OWNER")
		dave    = plugintest.By("dave", "NONE")
		mallory = plugintest.By("mallory", "NONE")
		erin    = plugintest.By("erin", "NONE")
		frank   = plugintest.By("frank", "NONE")
		gina    = plugintest.By("gina", "NONE")
	)
	const (
		vouch      = "only users trusted to run tests in acme/widgets may vouch for a pull request, as with `/ok-to-test`"
		cherryPick = "restricted to `erin` and members of team `acme/release-managers` (`label.restricted_labels` in plugins.yaml)"
	)
	tests := []struct {
		name        string
		plugins     string
		body        string
		by          plugintest.CommentOption
		labels      []string
		wantLabels  []string
		wantReplies []string
		wantCalls   []string
	}{{
		name:        "untrusted commenter cannot add ok-to-test",
		body:        "/label ok-to-test",
		by:          mallory,
		wantReplies: []string{"@mallory: `/label ok-to-test`: cannot add `ok-to-test`: " + vouch + "."},
		wantCalls:   []string{"GET " + labelsPath, "GET " + membersPath + "mallory", "GET " + collabsPath + "mallory", "POST " + commentsPath},
	}, {
		name:        "untrusted commenter cannot remove ok-to-test",
		body:        "/remove-label ok-to-test",
		by:          mallory,
		labels:      []string{"ok-to-test"},
		wantLabels:  []string{"ok-to-test"},
		wantReplies: []string{"@mallory: `/remove-label ok-to-test`: cannot remove `ok-to-test`: " + vouch + "."},
	}, {
		name:        "org member adds ok-to-test without a trust call",
		body:        "/label ok-to-test",
		by:          carol,
		wantLabels:  []string{"ok-to-test"},
		wantReplies: []string{"@carol: `/label ok-to-test`: adding label `ok-to-test`."},
		wantCalls:   []string{"GET " + labelsPath, "POST " + labelsPath, "POST " + commentsPath},
	}, {
		name:        "org member the payload does not vouch for is asked about once",
		body:        "/label ok-to-test\n/remove-label ok-to-test\n/label ok-to-test",
		by:          dave,
		wantLabels:  []string{"ok-to-test"},
		wantReplies: []string{"@dave:\n\n- `/label ok-to-test`: adding label `ok-to-test`.\n- `/remove-label ok-to-test`: removing label `ok-to-test`.\n- `/label ok-to-test`: adding label `ok-to-test`."},
		wantCalls: []string{"GET " + labelsPath, "GET " + membersPath + "dave",
			"POST " + labelsPath, "DELETE " + labelsPath + "/ok-to-test", "POST " + labelsPath, "POST " + commentsPath},
	}, {
		name:        "collaborator removes ok-to-test",
		body:        "/remove-label ok-to-test",
		labels:      []string{"ok-to-test"},
		wantReplies: []string{"@bob: `/remove-label ok-to-test`: removing label `ok-to-test`."},
	}, {
		name:    "lgtm and approved are never set by /label, even when plugins.yaml allows them",
		plugins: grabLGTM,
		body:    "/label lgtm approved",
		by:      owner,
		wantReplies: []string{"@carol: `/label lgtm approved`: " +
			"cannot add `lgtm`: the lgtm plugin sets it for those allowed; comment `/lgtm` instead; " +
			"cannot add `approved`: the approve plugin sets it for those allowed; comment `/approve` instead."},
		wantCalls: []string{"GET " + labelsPath, "POST " + commentsPath},
	}, {
		name:        "lgtm is refused to everyone, whatever plugins.yaml says",
		body:        "/label LGTM",
		by:          carol,
		wantReplies: []string{"@carol: `/label LGTM`: cannot add `lgtm`: the lgtm plugin sets it for those allowed; comment `/lgtm` instead."},
	}, {
		name:        "nor removed",
		plugins:     grabLGTM,
		body:        "/remove-label lgtm\n/remove-label approved",
		by:          owner,
		labels:      []string{"lgtm", "approved"},
		wantLabels:  []string{"lgtm", "approved"},
		wantReplies: []string{"@carol:\n\n- `/remove-label lgtm`: cannot remove `lgtm`: the lgtm plugin sets it for those allowed; comment `/lgtm cancel` instead.\n- `/remove-label approved`: cannot remove `approved`: the approve plugin sets it for those allowed; comment `/approve cancel` instead."},
	}, {
		name:        "restricted label refused to a user neither listed nor in a listed team",
		body:        "/label cherry-pick-approved",
		by:          mallory,
		wantReplies: []string{"@mallory: `/label cherry-pick-approved`: cannot add `cherry-pick-approved`: " + cherryPick + "."},
		wantCalls:   []string{"GET " + labelsPath, "GET " + membershipsPath + "mallory", "POST " + commentsPath},
	}, {
		name:        "restricted label set by a listed user, without a team call",
		body:        "/label cherry-pick-approved",
		by:          erin,
		wantLabels:  []string{"cherry-pick-approved"},
		wantReplies: []string{"@erin: `/label cherry-pick-approved`: adding label `cherry-pick-approved`."},
		wantCalls:   []string{"GET " + labelsPath, "POST " + labelsPath, "POST " + commentsPath},
	}, {
		name:        "restricted label set by a member of a listed team",
		body:        "/label cherry-pick-approved",
		by:          frank,
		wantLabels:  []string{"cherry-pick-approved"},
		wantReplies: []string{"@frank: `/label cherry-pick-approved`: adding label `cherry-pick-approved`."},
		wantCalls:   []string{"GET " + labelsPath, "GET " + membershipsPath + "frank", "POST " + labelsPath, "POST " + commentsPath},
	}, {
		name:        "restricted label removed by a member of a listed team",
		body:        "/remove-label cherry-pick-approved",
		by:          frank,
		labels:      []string{"cherry-pick-approved"},
		wantReplies: []string{"@frank: `/remove-label cherry-pick-approved`: removing label `cherry-pick-approved`."},
	}, {
		name:        "restricted label not removed by others",
		body:        "/remove-label cherry-pick-approved",
		labels:      []string{"cherry-pick-approved"},
		wantLabels:  []string{"cherry-pick-approved"},
		wantReplies: []string{"@bob: `/remove-label cherry-pick-approved`: cannot remove `cherry-pick-approved`: " + cherryPick + "."},
	}, {
		name:        "an invitation to the team is not membership",
		body:        "/label cherry-pick-approved",
		by:          gina,
		wantReplies: []string{"@gina: `/label cherry-pick-approved`: cannot add `cherry-pick-approved`: " + cherryPick + "."},
	}, {
		name:        "restricted label through a prefixed command",
		body:        "/priority critical-urgent",
		wantReplies: []string{"@bob: `/priority critical-urgent`: cannot add `priority/critical-urgent`: restricted to members of team `acme/release-managers` (`label.restricted_labels` in plugins.yaml)."},
		wantCalls:   []string{"GET " + labelsPath, "GET " + repoLabels, "GET /orgs/acme/teams/release-managers/memberships/bob", "POST " + commentsPath},
	}, {
		name:        "restricted label through a prefixed command by a team member",
		body:        "/priority critical-urgent",
		by:          frank,
		wantLabels:  []string{"priority/critical-urgent"},
		wantReplies: []string{"@frank: `/priority critical-urgent`: adding label `priority/critical-urgent`."},
	}, {
		name:        "restricted label /label may set though additional_labels does not list it",
		body:        "/label release-blocker",
		by:          erin,
		wantLabels:  []string{"release-blocker"},
		wantReplies: []string{"@erin: `/label release-blocker`: adding label `release-blocker`."},
	}, {
		name:        "which others still cannot",
		body:        "/label release-blocker",
		by:          carol,
		wantReplies: []string{"@carol: `/label release-blocker`: cannot add `release-blocker`: restricted to `Erin` (`label.restricted_labels` in plugins.yaml)."},
		wantCalls:   []string{"GET " + labelsPath, "POST " + commentsPath},
	}, {
		name:        "the team is asked about once per comment",
		body:        "/label cherry-pick-approved\n/priority critical-urgent\n/label needs-rebase",
		by:          mallory,
		wantLabels:  []string{"needs-rebase"},
		wantReplies: []string{"@mallory:\n\n- `/label cherry-pick-approved`: cannot add `cherry-pick-approved`: " + cherryPick + ".\n- `/priority critical-urgent`: cannot add `priority/critical-urgent`: restricted to members of team `acme/release-managers` (`label.restricted_labels` in plugins.yaml).\n- `/label needs-rebase`: adding label `needs-rebase`."},
		wantCalls:   []string{"GET " + labelsPath, "GET " + repoLabels, "GET " + membershipsPath + "mallory", "POST " + labelsPath, "POST " + commentsPath},
	}, {
		name:        "a comment without restricted labels makes no team or trust call",
		body:        "/kind bug\n/label needs-rebase\n/remove-label needs-rebase\n/label ok-to-test",
		by:          mallory,
		labels:      []string{"ok-to-test"},
		wantLabels:  []string{"ok-to-test", "kind/bug"},
		wantReplies: []string{"@mallory:\n\n- `/kind bug`: adding label `kind/bug`.\n- `/label needs-rebase`: adding label `needs-rebase`.\n- `/remove-label needs-rebase`: removing label `needs-rebase`."},
		wantCalls:   []string{"GET " + labelsPath, "GET " + repoLabels, "POST " + labelsPath, "POST " + labelsPath, "DELETE " + labelsPath + "/needs-rebase", "POST " + commentsPath},
	}, {
		name:        "ok-to-test restricted too needs both the restriction and the trigger's trust: a member not listed",
		plugins:     restrictOkToTest,
		body:        "/label ok-to-test",
		by:          carol,
		wantReplies: []string{"@carol: `/label ok-to-test`: cannot add `ok-to-test`: restricted to `erin` (`label.restricted_labels` in plugins.yaml)."},
	}, {
		name:        "and a listed user the trigger does not trust",
		plugins:     restrictOkToTest,
		body:        "/label ok-to-test",
		by:          erin,
		wantReplies: []string{"@erin: `/label ok-to-test`: cannot add `ok-to-test`: " + vouch + "."},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pluginsYAML := tc.plugins
			if pluginsYAML == "" {
				pluginsYAML = restrictedYAML
			}
			env := newEnv(t, enabled+pluginsYAML)
			env.GitHub.AddOrgMember("acme", "carol")
			env.GitHub.AddOrgMember("acme", "dave")
			env.GitHub.AddCollaborator("acme", "widgets", "bob")
			env.GitHub.AddTeamMember("acme", "release-managers", "frank")
			env.GitHub.InviteTeamMember("acme", "release-managers", "gina")
			env.AddLabels(t, plugintest.Number, tc.labels...)
			var opts []plugintest.CommentOption
			if tc.by != nil {
				opts = append(opts, tc.by)
			}
			e := plugintest.CommentEvent(t, tc.body, opts...)
			if err := handleIssueComment(plugintest.Context(t), env.Agent, e); err != nil {
				t.Fatalf("handleIssueComment() error = %v", err)
			}
			if diff := cmp.Diff(tc.wantLabels, env.GitHub.Labels(plugintest.Org, plugintest.Repo, plugintest.Number), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("labels (-want, +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantReplies, env.Replies(plugintest.Number)); diff != "" {
				t.Errorf("replies (-want, +got):\n%s", diff)
			}
			if tc.wantCalls != nil {
				if diff := cmp.Diff(tc.wantCalls, env.Calls()); diff != "" {
					t.Errorf("GitHub calls (-want, +got):\n%s", diff)
				}
			}
		})
	}
}
