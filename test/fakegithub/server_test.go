package fakegithub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gogithub "github.com/google/go-github/v93/github"

	"github.com/bosun-ci/bosun/test/fakegithub"
)

const sha = "3f1c8a9e2b7d4c6f8a0e1b2c3d4e5f6a7b8c9d0e"

type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends one raw request, so these tests see exactly what a client would: status, headers
// and JSON.
func do(t *testing.T, s *fakegithub.Server, method, path, body string) response {
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
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func decode[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("response %q is not the expected JSON: %v", r.body, err)
	}
	return v
}

type apiError struct {
	Message          string `json:"message"`
	DocumentationURL string `json:"documentation_url"`
	Status           string `json:"status"`
	Errors           []struct {
		Resource string `json:"resource"`
		Field    string `json:"field"`
		Code     string `json:"code"`
	} `json:"errors"`
}

func TestErrors(t *testing.T) {
	s := fakegithub.New()
	defer s.Close()
	s.AddPullRequest("acme", "widgets", &gogithub.PullRequest{Number: gogithub.Ptr(42)})

	tests := []struct {
		name        string
		method      string
		path        string
		body        string
		wantStatus  int
		wantMessage string
		wantField   string
	}{
		{name: "unknown route", method: "GET", path: "/repos/acme/widgets/deployments", wantStatus: 404, wantMessage: "Not Found"},
		{name: "known path, other method", method: "PUT", path: "/repos/acme/widgets/pulls/42", body: "{}", wantStatus: 404, wantMessage: "Not Found"},
		{name: "pull request not seeded", method: "GET", path: "/repos/acme/widgets/pulls/7", wantStatus: 404, wantMessage: "Not Found"},
		{name: "pull request number not a number", method: "GET", path: "/repos/acme/widgets/pulls/abc", wantStatus: 404, wantMessage: "Not Found"},
		{name: "files of an unknown pull request", method: "GET", path: "/repos/acme/widgets/pulls/7/files", wantStatus: 404, wantMessage: "Not Found"},
		{name: "status with unknown state", method: "POST", path: "/repos/acme/widgets/statuses/" + sha, body: `{"state":"succeeded","context":"ci"}`, wantStatus: 422, wantMessage: "Validation Failed", wantField: "state"},
		{name: "status without state", method: "POST", path: "/repos/acme/widgets/statuses/" + sha, body: `{"context":"ci"}`, wantStatus: 422, wantMessage: "Validation Failed", wantField: "state"},
		{name: "status description over 140 characters", method: "POST", path: "/repos/acme/widgets/statuses/" + sha, body: `{"state":"success","description":"` + strings.Repeat("é", 141) + `"}`, wantStatus: 422, wantMessage: "Validation Failed", wantField: "description"},
		{name: "status body not JSON", method: "POST", path: "/repos/acme/widgets/statuses/" + sha, body: `state=success`, wantStatus: 400, wantMessage: "Problems parsing JSON"},
		{name: "empty comment", method: "POST", path: "/repos/acme/widgets/issues/42/comments", body: `{"body":""}`, wantStatus: 422, wantMessage: "Validation Failed", wantField: "body"},
		{name: "edit a missing comment", method: "PATCH", path: "/repos/acme/widgets/issues/comments/999", body: `{"body":"x"}`, wantStatus: 404, wantMessage: "Not Found"},
		{name: "remove a label that is not there", method: "DELETE", path: "/repos/acme/widgets/issues/42/labels/lgtm", wantStatus: 404, wantMessage: "Label does not exist"},
		{name: "non-member", method: "GET", path: "/orgs/acme/members/mallory", wantStatus: 404},
		{name: "non-collaborator", method: "GET", path: "/repos/acme/widgets/collaborators/mallory", wantStatus: 404, wantMessage: "Not Found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, s, tc.method, tc.path, tc.body)
			if r.status != tc.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", r.status, tc.wantStatus, r.body)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q, want JSON", ct)
			}
			e := decode[apiError](t, r)
			if tc.wantMessage != "" && e.Message != tc.wantMessage {
				t.Errorf("message = %q, want %q", e.Message, tc.wantMessage)
			}
			if !strings.HasPrefix(e.DocumentationURL, "https://docs.github.com/rest") {
				t.Errorf("documentation_url = %q, want a GitHub docs URL", e.DocumentationURL)
			}
			if e.Status != strconv.Itoa(tc.wantStatus) {
				t.Errorf("status field = %q, want %d", e.Status, tc.wantStatus)
			}
			if tc.wantField != "" && (len(e.Errors) != 1 || e.Errors[0].Field != tc.wantField) {
				t.Errorf("errors = %+v, want one error on field %q", e.Errors, tc.wantField)
			}
		})
	}

	if got := s.Statuses("acme", "widgets", sha); len(got) != 0 {
		t.Errorf("rejected statuses were recorded: %+v", got)
	}
}

func TestStatuses(t *testing.T) {
	s := fakegithub.New()
	defer s.Close()

	posts := []string{
		`{"state":"pending","context":"unit","description":"Job triggered."}`,
		`{"state":"pending","context":"lint"}`,
		`{"state":"success","context":"unit","target_url":"https://deck.example/unit/1"}`,
		`{"state":"failure","context":"lint","description":"2 findings"}`,
	}
	for _, p := range posts {
		r := do(t, s, "POST", "/repos/acme/widgets/statuses/"+sha, p)
		if r.status != http.StatusCreated {
			t.Fatalf("POST status %s = %d, want 201: %s", p, r.status, r.body)
		}
		st := decode[gogithub.RepoStatus](t, r)
		if st.GetID() == 0 || st.GetCreator().GetLogin() != fakegithub.BotLogin || st.CreatedAt == nil {
			t.Errorf("created status lacks GitHub's fields: %s", r.body)
		}
	}

	t.Run("list is newest first", func(t *testing.T) {
		list := decode[[]gogithub.RepoStatus](t, do(t, s, "GET", "/repos/acme/widgets/commits/"+sha+"/statuses", ""))
		var got []string
		for _, st := range list {
			got = append(got, st.GetContext()+":"+st.GetState())
		}
		want := []string{"lint:failure", "unit:success", "lint:pending", "unit:pending"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("statuses = %v, want %v", got, want)
		}
	})

	t.Run("combined takes the latest per context", func(t *testing.T) {
		c := decode[gogithub.CombinedStatus](t, do(t, s, "GET", "/repos/Acme/Widgets/commits/"+sha+"/status", ""))
		if c.GetState() != "failure" || c.GetTotalCount() != 2 || c.GetSHA() != sha {
			t.Errorf("combined = state %q, total %d, sha %q; want failure, 2, %s", c.GetState(), c.GetTotalCount(), c.GetSHA(), sha)
		}
	})

	t.Run("combined without statuses is pending", func(t *testing.T) {
		c := decode[gogithub.CombinedStatus](t, do(t, s, "GET", "/repos/acme/widgets/commits/0000000000000000000000000000000000000000/status", ""))
		if c.GetState() != "pending" || c.GetTotalCount() != 0 {
			t.Errorf("combined = state %q, total %d; want pending, 0", c.GetState(), c.GetTotalCount())
		}
	})

	t.Run("assertions", func(t *testing.T) {
		all := s.Statuses("acme", "widgets", sha)
		if len(all) != 4 || all[0].GetDescription() != "Job triggered." {
			t.Errorf("Statuses() = %d statuses, first %q; want 4, oldest first", len(all), all[0].GetDescription())
		}
		latest, ok := s.LatestStatus("acme", "widgets", sha, "unit")
		if !ok || latest.GetState() != "success" || latest.GetTargetURL() != "https://deck.example/unit/1" {
			t.Errorf("LatestStatus(unit) = %+v, %v; want success with its target URL", latest, ok)
		}
		if _, ok := s.LatestStatus("acme", "widgets", sha, "e2e"); ok {
			t.Error("LatestStatus(e2e) found a status that was never created")
		}
		// The copy must not alias the emulator's state.
		*all[0].State = "error"
		if again := s.Statuses("acme", "widgets", sha); again[0].GetState() != "pending" {
			t.Error("modifying a returned status changed the emulator's record")
		}
	})
}

func TestPullRequestFilesPagination(t *testing.T) {
	s := fakegithub.New()
	defer s.Close()
	s.AddPullRequest("acme", "widgets", &gogithub.PullRequest{Number: gogithub.Ptr(42)})
	s.SetPullRequestFiles("acme", "widgets", 42, "a.go", "b.go", "c.go", "d.go", "e.go")

	tests := []struct {
		name      string
		query     string
		wantFiles []string
		wantRels  []string
	}{
		{name: "first page", query: "?per_page=2", wantFiles: []string{"a.go", "b.go"}, wantRels: []string{"next", "last"}},
		{name: "middle page", query: "?per_page=2&page=2", wantFiles: []string{"c.go", "d.go"}, wantRels: []string{"next", "last", "first", "prev"}},
		{name: "last page", query: "?per_page=2&page=3", wantFiles: []string{"e.go"}, wantRels: []string{"first", "prev"}},
		{name: "past the end", query: "?per_page=2&page=9", wantFiles: nil, wantRels: []string{"first", "prev"}},
		{name: "default page size fits all", query: "", wantFiles: []string{"a.go", "b.go", "c.go", "d.go", "e.go"}, wantRels: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, s, "GET", "/repos/acme/widgets/pulls/42/files"+tc.query, "")
			if r.status != http.StatusOK {
				t.Fatalf("status = %d, want 200", r.status)
			}
			var got []string
			for _, f := range decode[[]gogithub.CommitFile](t, r) {
				got = append(got, f.GetFilename())
			}
			if !reflect.DeepEqual(got, tc.wantFiles) {
				t.Errorf("files = %v, want %v", got, tc.wantFiles)
			}
			var rels []string
			if link := r.header.Get("Link"); link != "" {
				for _, part := range strings.Split(link, ", ") {
					rels = append(rels, strings.TrimSuffix(part[strings.Index(part, `rel="`)+5:], `"`))
				}
			}
			if !reflect.DeepEqual(rels, tc.wantRels) {
				t.Errorf("Link rels = %v, want %v (Link: %s)", rels, tc.wantRels, r.header.Get("Link"))
			}
		})
	}
}

func TestCommentsAndLabels(t *testing.T) {
	s := fakegithub.New()
	defer s.Close()
	s.AddPullRequest("acme", "widgets", &gogithub.PullRequest{
		Number: gogithub.Ptr(42),
		Labels: []*gogithub.Label{{Name: "kind/bug"}},
	})

	created := decode[gogithub.IssueComment](t, do(t, s, "POST", "/repos/acme/widgets/issues/42/comments", `{"body":"<b>first</b>"}`))
	do(t, s, "POST", "/repos/acme/widgets/issues/42/comments", `{"body":"second"}`)
	if r := do(t, s, "PATCH", "/repos/acme/widgets/issues/comments/"+strconv.FormatInt(created.GetID(), 10), `{"body":"edited"}`); r.status != http.StatusOK {
		t.Fatalf("PATCH comment = %d: %s", r.status, r.body)
	}
	listed := decode[[]gogithub.IssueComment](t, do(t, s, "GET", "/repos/acme/widgets/issues/42/comments", ""))
	if len(listed) != 2 || listed[0].GetBody() != "edited" || listed[1].GetBody() != "second" {
		t.Errorf("listed comments = %+v, want [edited second]", listed)
	}
	if r := do(t, s, "DELETE", "/repos/acme/widgets/issues/comments/"+strconv.FormatInt(created.GetID(), 10), ""); r.status != http.StatusNoContent {
		t.Fatalf("DELETE comment = %d: %s", r.status, r.body)
	}
	if got := s.Comments("acme", "widgets", 42); len(got) != 1 || got[0].GetBody() != "second" || got[0].GetUser().GetLogin() != fakegithub.BotLogin {
		t.Errorf("Comments() = %+v, want only the second, by %s", got, fakegithub.BotLogin)
	}

	// go-github sends a bare array; GitHub also takes {"labels": [...]}.
	do(t, s, "POST", "/repos/acme/widgets/issues/42/labels", `["lgtm","do-not-merge/hold"]`)
	r := do(t, s, "POST", "/repos/acme/widgets/issues/42/labels", `{"labels":["LGTM","approved"]}`)
	var names []string
	for _, l := range decode[[]gogithub.Label](t, r) {
		names = append(names, l.Name)
	}
	want := []string{"kind/bug", "lgtm", "do-not-merge/hold", "approved"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("labels after adding = %v, want %v (adding LGTM again is a no-op)", names, want)
	}
	if r := do(t, s, "DELETE", "/repos/acme/widgets/issues/42/labels/do-not-merge%2Fhold", ""); r.status != http.StatusOK {
		t.Fatalf("DELETE escaped label = %d: %s", r.status, r.body)
	}
	want = []string{"kind/bug", "lgtm", "approved"}
	if got := s.Labels("acme", "widgets", 42); !reflect.DeepEqual(got, want) {
		t.Errorf("Labels() = %v, want %v", got, want)
	}
	pr := decode[gogithub.PullRequest](t, do(t, s, "GET", "/repos/acme/widgets/pulls/42", ""))
	if len(pr.Labels) != 3 || pr.GetState() != "open" || pr.GetNumber() != 42 {
		t.Errorf("pull request = %d labels, state %q, number %d; want 3, open, 42", len(pr.Labels), pr.GetState(), pr.GetNumber())
	}
}

func TestTrust(t *testing.T) {
	s := fakegithub.New()
	defer s.Close()
	s.AddOrgMember("acme", "alice")
	s.AddCollaborator("acme", "widgets", "bob")

	tests := []struct {
		path string
		want int
	}{
		{path: "/orgs/acme/members/alice", want: 204},
		{path: "/orgs/ACME/members/Alice", want: 204},
		{path: "/orgs/acme/members/bob", want: 404},
		{path: "/orgs/other/members/alice", want: 404},
		{path: "/repos/acme/widgets/collaborators/bob", want: 204},
		{path: "/repos/acme/widgets/collaborators/alice", want: 404},
		{path: "/repos/acme/gadgets/collaborators/bob", want: 404},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			if r := do(t, s, "GET", tc.path, ""); r.status != tc.want {
				t.Errorf("status = %d, want %d", r.status, tc.want)
			}
		})
	}
}

func TestCallsResetAndWaitFor(t *testing.T) {
	s := fakegithub.New()
	defer s.Close()

	do(t, s, "GET", "/orgs/acme/members/alice", "")
	do(t, s, "GET", "/nope?x=1", "")
	calls := s.Calls()
	if len(calls) != 2 || s.CallCount() != 2 {
		t.Fatalf("Calls() = %+v, want 2 calls", calls)
	}
	if c := calls[1]; c.Method != "GET" || c.Path != "/nope" || c.RawQuery != "x=1" || c.Status != 404 || c.Time.IsZero() {
		t.Errorf("second call = %+v, want GET /nope?x=1 answered 404", c)
	}
	s.Reset()
	if n := s.CallCount(); n != 0 {
		t.Errorf("CallCount() after Reset = %d, want 0", n)
	}

	// Concurrent writers and readers; run with -race to make this meaningful.
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body, _ := json.Marshal(map[string]string{"state": "pending", "context": "job-" + strconv.Itoa(i)})
			req, _ := http.NewRequest("POST", s.URL()+"repos/acme/widgets/statuses/"+sha, bytes.NewReader(body))
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitFor(ctx, func() bool { return len(s.Statuses("acme", "widgets", sha)) == 20 }); err != nil {
		t.Errorf("WaitFor(20 statuses) = %v", err)
	}
	wg.Wait()

	short, cancelShort := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancelShort()
	if err := s.WaitFor(short, func() bool { return false }); err == nil {
		t.Error("WaitFor(never) returned nil, want a deadline error")
	}
}
