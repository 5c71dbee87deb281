package trigger

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	gogithub "github.com/google/go-github/v93/github"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/bosun-ci/bosun/pkg/client/clientset/versioned/fake"
	"github.com/bosun-ci/bosun/pkg/jobs"
	"github.com/bosun-ci/bosun/test/fakegithub"
)

// TestDecidePresubmits checks the decision the pull_request handlers and the resync share:
// the same jobs as an opened event, and no change on GitHub whatever the outcome.
func TestDecidePresubmits(t *testing.T) {
	tests := []struct {
		name string
		// jobs is the job config; empty means changesJobConfig.
		jobs          string
		plugins       string
		seed          func(*fakegithub.Server)
		mutate        func(*gogithub.PullRequest)
		wantJobs      []string
		wantUntrusted bool
		wantCalls     []string
	}{{
		name:      "member: always_run and the change-dependent jobs the files select",
		seed:      func(gh *fakegithub.Server) { gh.SetPullRequestFiles("acme", "widgets", 42, "fetcher/fetcher.go") },
		wantJobs:  []string{"unit", "e2e"},
		wantCalls: []string{"GET /repos/acme/widgets/pulls/42/files"},
	}, {
		name:     "branch filters apply",
		jobs:     jobConfig,
		mutate:   func(pr *gogithub.PullRequest) { pr.Base.Ref = gogithub.Ptr("release-1.2") },
		wantJobs: []string{"lint", "release-check"},
	}, {
		name:   "draft: nothing, no call",
		mutate: func(pr *gogithub.PullRequest) { pr.Draft = gogithub.Ptr(true) },
	}, {
		name:   "closed: nothing, no call",
		mutate: func(pr *gogithub.PullRequest) { pr.State = gogithub.Ptr("closed") },
	}, {
		name: "untrusted: nothing, and neither label nor comment",
		mutate: func(pr *gogithub.PullRequest) {
			pr.User.Login, pr.AuthorAssociation = gogithub.Ptr("mallory"), gogithub.Ptr("CONTRIBUTOR")
		},
		wantUntrusted: true,
		wantCalls:     []string{"GET /orgs/acme/members/mallory", "GET /repos/acme/widgets/collaborators/mallory"},
	}, {
		name: "untrusted with ok-to-test: runs without a trust call",
		jobs: alwaysRunJobConfig,
		mutate: func(pr *gogithub.PullRequest) {
			pr.User.Login, pr.AuthorAssociation = gogithub.Ptr("mallory"), gogithub.Ptr("CONTRIBUTOR")
			pr.Labels = []*gogithub.Label{{Name: "ok-to-test"}}
		},
		wantJobs: []string{"unit", "lint"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t, tc.plugins)
			if tc.jobs == "" {
				tc.jobs = changesJobConfig
			}
			env.useJobConfig(t, tc.jobs)
			pr := fixturePullRequest(t)
			if tc.mutate != nil {
				tc.mutate(pr)
			}
			env.gh.AddPullRequest("acme", "widgets", pr)
			if tc.seed != nil {
				tc.seed(env.gh)
			}
			env.gh.Reset()

			d, err := newPlugin().decide(testContext(t), env.agent, pr)
			if err != nil {
				t.Fatalf("decide() error = %v", err)
			}
			var got []string
			for _, j := range d.Jobs {
				got = append(got, j.Name)
			}
			if diff := cmp.Diff(tc.wantJobs, got); diff != "" {
				t.Errorf("jobs (-want, +got):\n%s", diff)
			}
			if d.Untrusted != tc.wantUntrusted {
				t.Errorf("Untrusted = %t, want %t", d.Untrusted, tc.wantUntrusted)
			}
			if diff := cmp.Diff(tc.wantCalls, env.calls()); diff != "" {
				t.Errorf("GitHub calls (-want, +got):\n%s", diff)
			}
			if len(env.creator.created) > 0 {
				t.Errorf("decide created %d jobs, want none", len(env.creator.created))
			}
		})
	}
}

// TestCreatePresubmitsCounts checks the exported pair end to end and that the count says what
// a call added: the second call for the same delivery finds every job there already.
func TestCreatePresubmitsCounts(t *testing.T) {
	env := newTestEnv(t, "")
	clientset := fake.NewSimpleClientset()
	env.agent.ProwJobs = clientset.ProwV1().ProwJobs("prow")
	ctx := testContext(t)
	pr := fixturePullRequest(t)
	// A head no other test uses: DecidePresubmits shares the hook's file cache.
	pr.Head.SHA = gogithub.Ptr("d3c1de0000000000000000000000000000000001")

	d, err := DecidePresubmits(ctx, env.agent, pr)
	if err != nil {
		t.Fatalf("DecidePresubmits() error = %v", err)
	}
	for i, want := range []int{2, 0} {
		n, err := CreatePresubmits(ctx, env.agent, pr, d.Jobs)
		if err != nil || n != want {
			t.Errorf("CreatePresubmits() call %d = %d, %v; want %d, nil", i+1, n, err, want)
		}
	}
	pj, err := clientset.ProwV1().ProwJobs("prow").Get(ctx, jobs.Name(deliveryID, "unit", pr.GetHead().GetSHA()), metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the unit job is not named after the delivery and the head: %v", err)
	}
	if pj.Spec.Refs.HeadSHA() != pr.GetHead().GetSHA() || pj.Spec.Refs.Pulls[0].Number != 42 {
		t.Errorf("refs = %+v, want #42 at the head", pj.Spec.Refs)
	}
}
