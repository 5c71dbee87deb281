package fakegithub_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	gogithub "github.com/google/go-github/v93/github"

	"github.com/bosun-ci/bosun/test/fakegithub"
)

// TestLimits: the emulator refuses what GitHub refuses, so a client that would fail on GitHub
// fails in tests. Limits count characters, not bytes.
func TestLimits(t *testing.T) {
	const (
		comments = "/repos/acme/widgets/issues/42/comments"
		labels   = "/repos/acme/widgets/issues/42/labels"
		create   = "/repos/acme/widgets/labels"
	)
	longest := strings.Repeat("é", 65536) // 131,072 bytes
	tooLong := longest + "x"
	tests := []struct {
		name, method, path, body string
		wantStatus               int
		// wantDetail is the message of the first field error of a 422.
		wantDetail string
	}{
		{name: "comment of 65,536 characters", method: "POST", path: comments, body: `{"body":"` + longest + `"}`, wantStatus: http.StatusCreated},
		{name: "comment of 65,537 characters", method: "POST", path: comments, body: `{"body":"` + tooLong + `"}`,
			wantStatus: http.StatusUnprocessableEntity, wantDetail: "body is too long (maximum is 65536 characters)"},
		{name: "label name of 50 characters", method: "POST", path: labels, body: `["` + strings.Repeat("é", 50) + `"]`, wantStatus: http.StatusOK},
		{name: "label name of 51 characters, with another", method: "POST", path: labels, body: `["fine","` + strings.Repeat("x", 51) + `"]`,
			wantStatus: http.StatusUnprocessableEntity, wantDetail: "name is too long (maximum is 50 characters)"},
		{name: "label name of 51 characters, wrapped", method: "POST", path: labels, body: `{"labels":["` + strings.Repeat("x", 51) + `"]}`,
			wantStatus: http.StatusUnprocessableEntity, wantDetail: "name is too long (maximum is 50 characters)"},
		{name: "create a label of 51 characters", method: "POST", path: create, body: `{"name":"` + strings.Repeat("é", 51) + `"}`,
			wantStatus: http.StatusUnprocessableEntity, wantDetail: "name is too long (maximum is 50 characters)"},
		{name: "create a label without a name", method: "POST", path: create, body: `{"color":"ff0000"}`, wantStatus: http.StatusUnprocessableEntity},
	}
	s := fakegithub.New()
	defer s.Close()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := send(t, s, tc.method, tc.path, tc.body)
			if tc.wantStatus != http.StatusUnprocessableEntity {
				if r.status != tc.wantStatus {
					t.Fatalf("status = %d, want %d (body %.200s)", r.status, tc.wantStatus, r.body)
				}
				return
			}
			msg, detail := errorMessage(t, r, http.StatusUnprocessableEntity)
			if msg != "Validation Failed" || (tc.wantDetail != "" && detail != tc.wantDetail) {
				t.Errorf("error = %q / %q, want Validation Failed / %q", msg, detail, tc.wantDetail)
			}
		})
	}
	if got := s.Comments("acme", "widgets", 42); len(got) != 1 || got[0].GetBody() != longest {
		t.Errorf("%d comments stored, want only the one of 65,536 characters", len(got))
	}
	if diff := cmp.Diff([]string{strings.Repeat("é", 50)}, s.Labels("acme", "widgets", 42)); diff != "" {
		t.Errorf("labels: a refused request added some (-want, +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{strings.Repeat("é", 50)}, s.RepoLabels("acme", "widgets")); diff != "" {
		t.Errorf("repository labels: a refused request defined some (-want, +got):\n%s", diff)
	}

	t.Run("editing a comment past the limit leaves it as it was", func(t *testing.T) {
		c := as[gogithub.IssueComment](t, send(t, s, "POST", comments, `{"body":"short"}`), http.StatusCreated)
		path := "/repos/acme/widgets/issues/comments/" + strconv.FormatInt(c.GetID(), 10)
		if msg, _ := errorMessage(t, send(t, s, "PATCH", path, `{"body":"`+tooLong+`"}`), http.StatusUnprocessableEntity); msg != "Validation Failed" {
			t.Errorf("message = %q, want Validation Failed", msg)
		}
		got := s.Comments("acme", "widgets", 42)
		if last := got[len(got)-1]; last.GetBody() != "short" {
			t.Errorf("comment after a refused edit is %d bytes, want %q", len(last.GetBody()), "short")
		}
	})
}

func TestCreateRepoLabel(t *testing.T) {
	s := fakegithub.New()
	defer s.Close()
	const path = "/repos/acme/widgets/labels"
	l := as[gogithub.Label](t, send(t, s, "POST", path, `{"name":"Release-Blocker","color":"#b60205","description":"Blocks the release"}`), http.StatusCreated)
	if l.Name != "Release-Blocker" || l.Color != "b60205" || l.GetDescription() != "Blocks the release" || l.ID == 0 {
		t.Errorf("created label = %+v", l)
	}
	msg, _ := errorMessage(t, send(t, s, "POST", path, `{"name":"release-blocker"}`), http.StatusUnprocessableEntity)
	if msg != "Validation Failed" {
		t.Errorf("creating a label that exists (in another case): message %q, want Validation Failed", msg)
	}
	as[gogithub.Label](t, send(t, s, "POST", "/repos/acme/gadgets/labels", `{"name":"release-blocker"}`), http.StatusCreated)
	if diff := cmp.Diff([]string{"Release-Blocker"}, s.RepoLabels("acme", "widgets")); diff != "" {
		t.Errorf("RepoLabels() (-want, +got):\n%s", diff)
	}
	// Adding the label to an issue uses the definition.
	added := as[[]gogithub.Label](t, send(t, s, "POST", "/repos/acme/widgets/issues/3/labels", `["release-blocker"]`), http.StatusOK)
	if len(added) != 1 || added[0].Name != "Release-Blocker" || added[0].Color != "b60205" {
		t.Errorf("labels after adding = %+v, want the created Release-Blocker", added)
	}
}

func TestTeamMemberships(t *testing.T) {
	s := fakegithub.New()
	defer s.Close()
	s.AddTeamMember("acme", "Release-Managers", "Frank")
	s.InviteTeamMember("acme", "release-managers", "gina")
	s.AddOrgMember("acme", "carol")

	tests := []struct {
		path      string
		want      int
		wantState string
	}{
		{path: "/orgs/acme/teams/release-managers/memberships/frank", want: http.StatusOK, wantState: "active"},
		{path: "/orgs/ACME/teams/Release-Managers/memberships/FRANK", want: http.StatusOK, wantState: "active"},
		{path: "/orgs/acme/teams/release-managers/memberships/gina", want: http.StatusOK, wantState: "pending"},
		{path: "/orgs/acme/teams/release-managers/memberships/carol", want: http.StatusNotFound},
		{path: "/orgs/acme/teams/nobody/memberships/frank", want: http.StatusNotFound},
		{path: "/orgs/other/teams/release-managers/memberships/frank", want: http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			r := send(t, s, "GET", tc.path, "")
			if tc.want != http.StatusOK {
				errorMessage(t, r, tc.want)
				return
			}
			m := as[gogithub.Membership](t, r, http.StatusOK)
			if m.GetState() != tc.wantState || m.GetRole() != "member" || m.GetURL() == "" {
				t.Errorf("membership = %+v, want state %q, role member and a URL", m, tc.wantState)
			}
		})
	}
}
