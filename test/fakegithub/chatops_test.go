package fakegithub_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	gogithub "github.com/google/go-github/v93/github"

	"github.com/bosun-ci/bosun/test/fakegithub"
)

// rawResponse is what a client sees for one request.
type rawResponse struct {
	status int
	header http.Header
	body   []byte
}

// send makes one raw request, so these tests see status codes and JSON as a client would.
func send(t *testing.T, s *fakegithub.Server, method, path, body string) rawResponse {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, strings.TrimSuffix(s.URL(), "/")+path, r)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rawResponse{status: resp.StatusCode, header: resp.Header, body: b}
}

// as decodes the body into a T, failing the test on a status other than want.
func as[T any](t *testing.T, r rawResponse, want int) T {
	t.Helper()
	if r.status != want {
		t.Fatalf("status = %d, want %d (body %s)", r.status, want, r.body)
	}
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("response %q is not the expected JSON: %v", r.body, err)
	}
	return v
}

// errorMessage is the message of a GitHub error body, and of its first field error.
func errorMessage(t *testing.T, r rawResponse, want int) (string, string) {
	t.Helper()
	e := as[struct {
		Message string `json:"message"`
		Errors  []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}](t, r, want)
	if len(e.Errors) == 0 {
		return e.Message, ""
	}
	return e.Message, e.Errors[0].Message
}

func TestRepoLabels(t *testing.T) {
	s := fakegithub.New()
	defer s.Close()
	s.AddRepoLabels("acme", "widgets", "kind/bug", "Area/API", "kind/bug")
	if r := send(t, s, "POST", "/repos/acme/widgets/issues/3/labels", `["lgtm"]`); r.status != http.StatusOK {
		t.Fatalf("adding a label: status %d", r.status)
	}
	all := as[[]gogithub.Label](t, send(t, s, "GET", "/repos/acme/widgets/labels", ""), http.StatusOK)
	var names []string
	for _, l := range all {
		names = append(names, l.Name)
		if l.Color != "ededed" || l.ID == 0 || l.URL == "" {
			t.Errorf("label %+v lacks GitHub's fields", l)
		}
	}
	if diff := cmp.Diff([]string{"Area/API", "kind/bug", "lgtm"}, names); diff != "" {
		t.Errorf("labels (-want, +got):\n%s", diff)
	}
	if diff := cmp.Diff(names, s.RepoLabels("ACME", "Widgets")); diff != "" {
		t.Errorf("RepoLabels() (-want, +got):\n%s", diff)
	}

	page := send(t, s, "GET", "/repos/acme/widgets/labels?per_page=2&page=2", "")
	if got := as[[]gogithub.Label](t, page, http.StatusOK); len(got) != 1 || got[0].Name != "lgtm" {
		t.Errorf("page 2 of 2 = %+v, want just lgtm", got)
	}
	if link := page.header.Get("Link"); !strings.Contains(link, `rel="first"`) {
		t.Errorf("Link = %q, want a first page", link)
	}
	if got := as[[]gogithub.Label](t, send(t, s, "GET", "/repos/acme/gadgets/labels", ""), http.StatusOK); len(got) != 0 {
		t.Errorf("labels of a repository with none = %+v, want []", got)
	}
}

func TestContents(t *testing.T) {
	s := fakegithub.New()
	defer s.Close()
	owners := "approvers:\n- carol\n"
	long := strings.Repeat("0123456789", 20)
	s.SetFile("acme", "widgets", "main", "OWNERS", []byte(owners))
	s.SetFile("acme", "widgets", "main", "docs/long.txt", []byte(long))
	s.SetFile("acme", "widgets", "release-1.0", "OWNERS", []byte("approvers: [bob]\n"))

	t.Run("file at the default branch", func(t *testing.T) {
		f := as[gogithub.RepositoryContent](t, send(t, s, "GET", "/repos/acme/widgets/contents/OWNERS", ""), http.StatusOK)
		if diff := cmp.Diff([]string{"file", "base64", "OWNERS", "OWNERS"},
			[]string{f.GetType(), f.GetEncoding(), f.GetName(), f.GetPath()}); diff != "" {
			t.Errorf("type, encoding, name, path (-want, +got):\n%s", diff)
		}
		if f.GetSize() != len(owners) {
			t.Errorf("size = %d, want %d", f.GetSize(), len(owners))
		}
		content, err := f.GetContent()
		if err != nil || content != owners {
			t.Errorf("content = %q, %v; want %q", content, err, owners)
		}
	})
	t.Run("blob sha is git's", func(t *testing.T) {
		s.SetFile("acme", "widgets", "main", "hello", []byte("hello\n"))
		f := as[gogithub.RepositoryContent](t, send(t, s, "GET", "/repos/acme/widgets/contents/hello?ref=main", ""), http.StatusOK)
		// git hash-object of "hello\n"
		if got, want := f.GetSHA(), "ce013625030ba8dba906f756967f9e9ca394464a"; got != want {
			t.Errorf("sha = %s, want %s", got, want)
		}
	})
	t.Run("base64 wrapped at 60 characters", func(t *testing.T) {
		f := as[gogithub.RepositoryContent](t, send(t, s, "GET", "/repos/acme/widgets/contents/docs/long.txt?ref=main", ""), http.StatusOK)
		encoded := *f.Content
		lines := strings.SplitAfter(encoded, "\n")
		if last := lines[len(lines)-1]; last != "" {
			t.Errorf("content does not end with a newline: %q", encoded)
		}
		for _, l := range lines[:len(lines)-1] {
			if len(l) > 61 {
				t.Errorf("line %q is longer than 60 characters", l)
			}
		}
		decoded, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(encoded, "\n", ""))
		if err != nil || string(decoded) != long {
			t.Errorf("decoded = %q, %v; want %q", decoded, err, long)
		}
	})
	t.Run("ref", func(t *testing.T) {
		f := as[gogithub.RepositoryContent](t, send(t, s, "GET", "/repos/acme/widgets/contents/OWNERS?ref=release-1.0", ""), http.StatusOK)
		if content, _ := f.GetContent(); content != "approvers: [bob]\n" {
			t.Errorf("content at release-1.0 = %q", content)
		}
	})
	t.Run("directory", func(t *testing.T) {
		entries := as[[]gogithub.RepositoryContent](t, send(t, s, "GET", "/repos/acme/widgets/contents/?ref=main", ""), http.StatusOK)
		var got []string
		for _, e := range entries {
			got = append(got, e.GetType()+" "+e.GetPath())
			if e.Content != nil {
				t.Errorf("directory entry %s carries content", e.GetPath())
			}
		}
		if diff := cmp.Diff([]string{"file OWNERS", "dir docs", "file hello"}, got); diff != "" {
			t.Errorf("entries (-want, +got):\n%s", diff)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		if msg, _ := errorMessage(t, send(t, s, "GET", "/repos/acme/widgets/contents/NOPE?ref=main", ""), http.StatusNotFound); msg != "Not Found" {
			t.Errorf("message = %q", msg)
		}
	})
	t.Run("unknown ref", func(t *testing.T) {
		if msg, _ := errorMessage(t, send(t, s, "GET", "/repos/acme/widgets/contents/OWNERS?ref=gone", ""), http.StatusNotFound); msg != "No commit found for the ref gone" {
			t.Errorf("message = %q", msg)
		}
	})
}

// seedPeople seeds pull request #42 by alice and plain issue #7, with carol a collaborator
// and dave an org member.
func seedPeople(s *fakegithub.Server) {
	s.AddPullRequest("acme", "widgets", &gogithub.PullRequest{Number: gogithub.Ptr(42), User: &gogithub.User{Login: gogithub.Ptr("alice")}})
	s.AddIssue("acme", "widgets", &gogithub.Issue{Number: gogithub.Ptr(7), User: &gogithub.User{Login: gogithub.Ptr("alice")}})
	s.AddCollaborator("acme", "widgets", "carol")
	s.AddOrgMember("acme", "dave")
}

func TestAssignees(t *testing.T) {
	s := fakegithub.New()
	defer s.Close()
	seedPeople(s)

	for _, number := range []string{"42", "7"} {
		path := "/repos/acme/widgets/issues/" + number + "/assignees"
		issue := as[gogithub.Issue](t, send(t, s, "POST", path, `{"assignees":["carol","mallory","Dave","carol"]}`), http.StatusCreated)
		var got []string
		for _, u := range issue.Assignees {
			got = append(got, u.GetLogin())
		}
		if diff := cmp.Diff([]string{"carol", "Dave"}, got); diff != "" {
			t.Errorf("#%s: assignees in the answer (-want, +got):\n%s", number, diff)
		}
		if issue.GetAssignee().GetLogin() != "carol" {
			t.Errorf("#%s: assignee = %q, want the first assignee", number, issue.GetAssignee().GetLogin())
		}
		if (number == "42") != issue.IsPullRequest() {
			t.Errorf("#%s: IsPullRequest() = %v", number, issue.IsPullRequest())
		}

		issue = as[gogithub.Issue](t, send(t, s, "DELETE", path, `{"assignees":["CAROL","mallory"]}`), http.StatusOK)
		if len(issue.Assignees) != 1 || issue.Assignees[0].GetLogin() != "Dave" {
			t.Errorf("#%s: assignees after removing carol = %+v", number, issue.Assignees)
		}
	}
	if diff := cmp.Diff([]string{"Dave"}, s.Assignees("acme", "widgets", 7)); diff != "" {
		t.Errorf("Assignees() (-want, +got):\n%s", diff)
	}
	pr := as[gogithub.PullRequest](t, send(t, s, "GET", "/repos/acme/widgets/pulls/42", ""), http.StatusOK)
	if len(pr.Assignees) != 1 || pr.Assignees[0].GetLogin() != "Dave" {
		t.Errorf("pull request assignees = %+v, want Dave", pr.Assignees)
	}

	t.Run("errors", func(t *testing.T) {
		errorMessage(t, send(t, s, "POST", "/repos/acme/widgets/issues/99/assignees", `{"assignees":["carol"]}`), http.StatusNotFound)
		errorMessage(t, send(t, s, "DELETE", "/repos/acme/widgets/issues/99/assignees", `{"assignees":["carol"]}`), http.StatusNotFound)
		errorMessage(t, send(t, s, "DELETE", "/repos/acme/widgets/issues/7/milestones", `{}`), http.StatusNotFound)
		errorMessage(t, send(t, s, "POST", "/repos/acme/widgets/issues/7/assignees", `assignees=carol`), http.StatusBadRequest)
	})
	t.Run("deleting comments still routes", func(t *testing.T) {
		c := as[gogithub.IssueComment](t, send(t, s, "POST", "/repos/acme/widgets/issues/7/comments", `{"body":"hi"}`), http.StatusCreated)
		if r := send(t, s, "DELETE", "/repos/acme/widgets/issues/comments/"+strconv.FormatInt(c.GetID(), 10), ""); r.status != http.StatusNoContent {
			t.Errorf("DELETE comment: status %d, want 204", r.status)
		}
	})
}

func TestRequestedReviewers(t *testing.T) {
	s := fakegithub.New()
	defer s.Close()
	seedPeople(s)
	const path = "/repos/acme/widgets/pulls/42/requested_reviewers"

	pr := as[gogithub.PullRequest](t, send(t, s, "POST", path, `{"reviewers":["carol","dave"]}`), http.StatusCreated)
	if len(pr.RequestedReviewers) != 2 {
		t.Errorf("requested reviewers in the answer = %+v, want carol and dave", pr.RequestedReviewers)
	}
	tests := []struct {
		name, body, wantDetail string
	}{
		{name: "author", body: `{"reviewers":["carol","Alice"]}`, wantDetail: "Review cannot be requested from pull request author."},
		{name: "no access", body: `{"reviewers":["mallory"]}`,
			wantDetail: "Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the acme/widgets repository."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg, detail := errorMessage(t, send(t, s, "POST", path, tc.body), http.StatusUnprocessableEntity)
			if msg != "Validation Failed" || detail != tc.wantDetail {
				t.Errorf("error = %q / %q, want Validation Failed / %q", msg, detail, tc.wantDetail)
			}
		})
	}
	if diff := cmp.Diff([]string{"carol", "dave"}, s.RequestedReviewers("acme", "widgets", 42)); diff != "" {
		t.Errorf("a refused request changed the reviewers (-want, +got):\n%s", diff)
	}
	as[gogithub.PullRequest](t, send(t, s, "DELETE", path, `{"reviewers":["carol","nobody"]}`), http.StatusOK)
	if diff := cmp.Diff([]string{"dave"}, s.RequestedReviewers("acme", "widgets", 42)); diff != "" {
		t.Errorf("after withdrawing carol (-want, +got):\n%s", diff)
	}
	errorMessage(t, send(t, s, "POST", "/repos/acme/widgets/pulls/7/requested_reviewers", `{"reviewers":["carol"]}`), http.StatusNotFound)
}

func TestEditIssueState(t *testing.T) {
	s := fakegithub.New()
	defer s.Close()
	seedPeople(s)
	s.AddPullRequest("acme", "widgets", &gogithub.PullRequest{Number: gogithub.Ptr(43), State: gogithub.Ptr("closed"), Merged: gogithub.Ptr(true)})

	issue := as[gogithub.Issue](t, send(t, s, "PATCH", "/repos/acme/widgets/issues/7", `{"state":"closed"}`), http.StatusOK)
	if issue.GetState() != "closed" || issue.ClosedAt == nil {
		t.Errorf("closed issue = state %q, closed_at %v", issue.GetState(), issue.ClosedAt)
	}
	issue = as[gogithub.Issue](t, send(t, s, "PATCH", "/repos/acme/widgets/issues/7", `{"state":"open"}`), http.StatusOK)
	if issue.GetState() != "open" || issue.ClosedAt != nil {
		t.Errorf("reopened issue = state %q, closed_at %v", issue.GetState(), issue.ClosedAt)
	}

	as[gogithub.Issue](t, send(t, s, "PATCH", "/repos/acme/widgets/issues/42", `{"state":"closed"}`), http.StatusOK)
	pr := as[gogithub.PullRequest](t, send(t, s, "GET", "/repos/acme/widgets/pulls/42", ""), http.StatusOK)
	if pr.GetState() != "closed" || pr.ClosedAt == nil {
		t.Errorf("pull request closed through the issues API = state %q, closed_at %v", pr.GetState(), pr.ClosedAt)
	}
	if got := s.IssueState("acme", "widgets", 42); got != "closed" {
		t.Errorf("IssueState(42) = %q, want closed", got)
	}
	if got := s.IssueState("acme", "widgets", 99); got != "" {
		t.Errorf("IssueState(99) = %q, want empty for an unknown issue", got)
	}

	t.Run("errors", func(t *testing.T) {
		if _, detail := errorMessage(t, send(t, s, "PATCH", "/repos/acme/widgets/issues/43", `{"state":"open"}`), http.StatusUnprocessableEntity); !strings.Contains(detail, "merged") {
			t.Errorf("reopening a merged pull request: detail %q, want it to say why", detail)
		}
		errorMessage(t, send(t, s, "PATCH", "/repos/acme/widgets/issues/7", `{"state":"done"}`), http.StatusUnprocessableEntity)
		errorMessage(t, send(t, s, "PATCH", "/repos/acme/widgets/issues/99", `{"state":"closed"}`), http.StatusNotFound)
	})
}
