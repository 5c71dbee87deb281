package github

import "testing"

func TestEndpointFor(t *testing.T) {
	tests := []struct {
		basePath string
		path     string
		want     string
	}{
		{basePath: "/", path: "/repos/acme/widgets/statuses/3f1c8a9e2b7d4c6f8a0e1b2c3d4e5f6a7b8c9d0e", want: "/repos/:org/:repo/statuses/:sha"},
		{basePath: "/", path: "/repos/acme/widgets/commits/main/status", want: "/repos/:org/:repo/commits/:ref/status"},
		{basePath: "/", path: "/repos/acme/widgets/commits/main/statuses", want: "/repos/:org/:repo/commits/:ref/statuses"},
		{basePath: "/", path: "/repos/acme/widgets/pulls", want: "/repos/:org/:repo/pulls"},
		{basePath: "/", path: "/repos/acme/widgets/pulls/42", want: "/repos/:org/:repo/pulls/:number"},
		{basePath: "/", path: "/repos/acme/widgets/pulls/", want: otherEndpoint},
		{basePath: "/", path: "/repos/acme/widgets/pulls/42/files", want: "/repos/:org/:repo/pulls/:number/files"},
		{basePath: "/", path: "/repos/acme/widgets/issues/42/comments", want: "/repos/:org/:repo/issues/:number/comments"},
		{basePath: "/", path: "/repos/acme/widgets/issues/comments/991", want: "/repos/:org/:repo/issues/comments/:id"},
		{basePath: "/", path: "/repos/acme/widgets/issues/42/labels", want: "/repos/:org/:repo/issues/:number/labels"},
		{basePath: "/", path: "/repos/acme/widgets/issues/42/labels/do-not-merge%2Fhold", want: "/repos/:org/:repo/issues/:number/labels/:label"},
		{basePath: "/", path: "/repos/acme/widgets/collaborators/bob", want: "/repos/:org/:repo/collaborators/:user"},
		{basePath: "/", path: "/orgs/acme/members/alice", want: "/orgs/:org/members/:user"},
		{basePath: "/", path: "/orgs/acme/public_members/alice", want: "/orgs/:org/public_members/:user"},
		{basePath: "/api/v3/", path: "/api/v3/orgs/acme/members/alice", want: "/orgs/:org/members/:user"},
		{basePath: "/", path: "/orgs/acme/teams/release-managers/memberships/alice", want: "/orgs/:org/teams/:team/memberships/:user"},
		// The ChatOps plugins' endpoints.
		{basePath: "/", path: "/repos/acme/widgets/issues/7", want: "/repos/:org/:repo/issues/:number"},
		{basePath: "/", path: "/repos/acme/widgets/issues/42/assignees", want: "/repos/:org/:repo/issues/:number/assignees"},
		{basePath: "/", path: "/repos/acme/widgets/pulls/42/requested_reviewers", want: "/repos/:org/:repo/pulls/:number/requested_reviewers"},
		{basePath: "/", path: "/repos/acme/widgets/labels", want: "/repos/:org/:repo/labels"},
		{basePath: "/", path: "/repos/acme/widgets/contents/OWNERS", want: "/repos/:org/:repo/contents/*path"},
		{basePath: "/", path: "/repos/acme/widgets/contents/pkg/widget/OWNERS", want: "/repos/:org/:repo/contents/*path"},
		{basePath: "/", path: "/repos/acme/widgets/contents/docs%2Fa%20b.md", want: "/repos/:org/:repo/contents/*path"},
		{basePath: "/api/v3/", path: "/api/v3/repos/acme/widgets/contents/a/b/c/d/e/f/OWNERS", want: "/repos/:org/:repo/contents/*path"},
		{basePath: "/", path: "/repos/acme/widgets/contents/", want: otherEndpoint},
		{basePath: "/", path: "/repos/acme/widgets/contents", want: otherEndpoint},
		{basePath: "/", path: "/repos/acme/widgets/issues/", want: otherEndpoint},
		{basePath: "/", path: "/repos/acme/widgets/labels/extra", want: otherEndpoint},
		{basePath: "/", path: "/repos/acme/widgets/issues/42/labels/do-not-merge/hold", want: otherEndpoint},
		{basePath: "/", path: "/repos/acme/widgets/deployments", want: otherEndpoint},
		{basePath: "/", path: "/orgs/acme/members/", want: otherEndpoint},
		{basePath: "/", path: "/", want: otherEndpoint},
	}
	for _, tc := range tests {
		t.Run(tc.basePath+tc.path, func(t *testing.T) {
			if got := endpointFor(tc.basePath, tc.path); got != tc.want {
				t.Errorf("endpointFor(%q, %q) = %q, want %q", tc.basePath, tc.path, got, tc.want)
			}
		})
	}
}

func TestCompileTemplatesRejectsInnerWildcard(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("compileTemplates accepted a wildcard before the last segment")
		}
	}()
	compileTemplates("/repos/:org/:repo/contents/*path/meta")
}
