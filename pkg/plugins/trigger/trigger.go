// Package trigger is the plugin that starts jobs: presubmits when a trusted author opens or
// updates a pull request or a trusted user comments /test, postsubmits on pushes.
package trigger

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/pkg/plugins"
)

// PluginName is the name to enable in plugins.yaml.
const PluginName = "trigger"

func init() {
	plugins.Register(plugins.Plugin{
		Name: PluginName,
		Help: plugins.Help{
			Description: "Starts presubmit jobs when a trusted author opens or updates a pull request, " +
				"and postsubmit jobs on pushes to matching branches. Drafts run nothing until they are ready for review.",
			Commands: []plugins.Command{
				{
					Usage:       "/test (<job name>[ <job name>...]|all)",
					Description: "Runs the named presubmit jobs, or every job that runs automatically on this pull request.",
					WhoCanUse:   "Members of the organization and collaborators of the repository.",
					Examples:    []string{"/test all", "/test unit", "/test unit lint"},
				},
			},
		},
		PullRequest:  handlePullRequest,
		IssueComment: handleIssueComment,
		Push:         handlePush,
	})
}

// Author associations GitHub puts in payloads; they let trust be decided without an API
// call for most authors.
const (
	associationOwner        = "OWNER"
	associationMember       = "MEMBER"
	associationCollaborator = "COLLABORATOR"
)

// trusted reports whether user may run jobs in org/repo: org members, collaborators (unless
// only_org_members), trusted apps and members of the trusted org, the rule Prow applies.
// The payload's author_association answers most cases for free; only the rest costs
// GitHub calls.
func trusted(ctx context.Context, gh github.TrustChecker, t plugins.Trigger, org, repo, user, association string) (bool, error) {
	switch association {
	case associationOwner, associationMember:
		return true, nil
	case associationCollaborator:
		if !t.OnlyOrgMembers {
			return true, nil
		}
	}
	if login, isBot := strings.CutSuffix(user, "[bot]"); isBot && slices.Contains(t.TrustedApps, login) {
		return true, nil
	}
	member, err := gh.IsMember(ctx, org, user)
	if err != nil {
		return false, err
	}
	if member {
		return true, nil
	}
	if t.TrustedOrg != "" && t.TrustedOrg != org {
		if member, err = gh.IsMember(ctx, t.TrustedOrg, user); err != nil || member {
			return member, err
		}
	}
	if t.OnlyOrgMembers {
		return false, nil
	}
	return gh.IsCollaborator(ctx, org, repo, user)
}

// createAll creates the jobs in parallel: each create is one apiserver round trip, and a PR
// event with several jobs should cost one round trip of latency, not several. A job that
// already exists (a redelivered event) counts as created.
func createAll(ctx context.Context, a plugins.Agent, pjs []*prowjobsv1.ProwJob) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, pj := range pjs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := a.ProwJobs.Create(ctx, pj, metav1.CreateOptions{})
			switch {
			case apierrors.IsAlreadyExists(err):
				a.Logger.Infow("ProwJob already exists", "prowjob", pj.Name, "job", pj.Spec.Job)
			case err != nil:
				mu.Lock()
				errs = append(errs, fmt.Errorf("create ProwJob for %s: %w", pj.Spec.Job, err))
				mu.Unlock()
			default:
				a.Logger.Infow("Created ProwJob", "prowjob", pj.Name, "job", pj.Spec.Job, "type", pj.Spec.Type)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
