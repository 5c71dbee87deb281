// Package resync recovers pull request events the hook never received. GitHub does not retry
// a failed webhook delivery, so a push that arrived while the hook was down, or whose delivery
// was lost on the way, would leave its commit untested. A pass lists each configured
// repository's open pull requests and, for each head commit that lacks a ProwJob for a job
// that could run by itself, makes the decision the trigger makes for a pull_request event
// (trigger.Trigger.Decide) and creates the jobs it selects that are missing: all of them
// when the webhook never arrived, the rest when the hook failed halfway through it.
//
// A pass is cheap when nothing changed: one listing per repository, answered 304 from the
// GitHub client's ETag cache (free of rate limit), and one ProwJob list per repository from
// the apiserver. The jobs it creates are named after a delivery id derived from the pull
// request alone (eventGUID), so two hook replicas resyncing at once create each job once.
package resync

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	gogithub "github.com/google/go-github/v93/github"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/clock"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/pkg/trigger"
)

// EventGUIDPrefix starts the stand-in for the X-GitHub-Delivery id that names the jobs a
// resync creates and fills their event-GUID label (see eventGUID).
const EventGUIDPrefix = "resync"

// eventGUID is the delivery id a resync uses for a pull request: "resync_<org>_<repo>_<n>",
// in the event-GUID label of the jobs it creates. Their names come from the pull request and
// head, as those of the webhooks' automatic runs do (trigger.AutomaticNameKey), so a resync,
// the webhook it stands in for, a redelivery of that webhook and another replica's resync
// all arrive at the same names and the apiserver refuses the second create; so do runs made
// again after a superseded one, named after it. GitHub org names have no "_" and the number
// has none, so the id is unambiguous; every part is valid in a label value.
func eventGUID(org, repo string, number int) string {
	return EventGUIDPrefix + "_" + org + "_" + repo + "_" + strconv.Itoa(number)
}

// defaultDecidedSize bounds how many pull request heads the Resyncer remembers deciding.
const defaultDecidedSize = 10000

// Options configure a Resyncer.
type Options struct {
	// Config and PluginConfig return the current config.yaml and plugins.yaml; each pass
	// reads them once.
	Config       config.Getter
	PluginConfig func() *plugins.Configuration
	// GitHub should be the hook's client, whose ETag cache makes an unchanged listing free.
	GitHub plugins.GitHubClient
	// ProwJobs is the ProwJob client of the hook's namespace (config's prowjob_namespace).
	ProwJobs plugins.ProwJobClient
	// Trigger should be the hook's decision core, the one its trigger plugin uses, so that
	// a resync and the events share its caches. Nil builds one of the resync's own over
	// GitHub and ProwJobs.
	Trigger *trigger.Trigger
	// Logger defaults to a no-op logger.
	Logger *zap.SugaredLogger
	// Registerer receives the resync metrics (metrics.go); nil leaves them unregistered.
	Registerer prometheus.Registerer
	// Clock defaults to the real clock; tests pass a fake one.
	Clock clock.WithTicker
}

// Resyncer runs resync passes. Its methods are safe for concurrent use, though one Run per
// process is the intended use.
type Resyncer struct {
	opts    Options
	metrics *metrics
	// decided remembers the heads a pass has decided for, so that later passes neither ask
	// GitHub about the same untrusted author again nor re-run jobs the sinker has since
	// deleted.
	decided *decidedHeads
}

// New builds a Resyncer and registers its metrics.
func New(o Options) (*Resyncer, error) {
	if o.Config == nil || o.PluginConfig == nil || o.GitHub == nil || o.ProwJobs == nil {
		return nil, errors.New("resync: Config, PluginConfig, GitHub and ProwJobs are required")
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop().Sugar()
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.Trigger == nil {
		o.Trigger = trigger.New(trigger.Options{Files: o.GitHub, ProwJobs: o.ProwJobs, Trees: o.GitHub, Statuses: o.GitHub})
	}
	m, err := newMetrics(o.Registerer)
	if err != nil {
		return nil, fmt.Errorf("register resync metrics: %w", err)
	}
	return &Resyncer{opts: o, metrics: m, decided: newDecidedHeads(defaultDecidedSize)}, nil
}

// Report says what one pass did.
type Report struct {
	// Repos is how many repositories were listed.
	Repos int
	// PullRequests is how many open pull requests those listings held.
	PullRequests int
	// Created is how many ProwJobs the pass created; jobs another replica created first are
	// not counted.
	Created int
	// SkippedOrgs are the orgs left out for having more repositories with presubmits than
	// resync.max_org_repos, sorted.
	SkippedOrgs []string
}

// Sync runs one pass over every repository that has presubmits and the trigger plugin
// enabled, in orgs the resync config allows. A failure in one repository or pull request
// does not stop the others; the errors are returned joined, with the report of what was done.
func (r *Resyncer) Sync(ctx context.Context) (Report, error) {
	cfg, pluginCfg := r.opts.Config(), r.opts.PluginConfig()
	now := r.opts.Clock.Now()
	var (
		report Report
		errs   []error
	)
orgs:
	for _, org := range reposByOrg(cfg) {
		if !cfg.Resync.OrgAllowed(org.name, len(org.repos)) {
			report.SkippedOrgs = append(report.SkippedOrgs, org.name)
			continue
		}
		for _, rr := range org.repos {
			if ctx.Err() != nil {
				errs = append(errs, ctx.Err())
				break orgs
			}
			if !slices.Contains(pluginCfg.EnabledFor(rr.org, rr.repo), trigger.PluginName) {
				continue
			}
			report.Repos++
			if err := r.syncRepo(ctx, cfg, pluginCfg, rr, now, &report); err != nil {
				errs = append(errs, err)
			}
		}
	}
	err := errors.Join(errs...)
	r.metrics.record(report, err)
	return report, err
}

// repoRef is one repository of the job config, spelled as its presubmits key spells it.
type repoRef struct{ org, repo string }

// orgRepos is one org's repositories with presubmits.
type orgRepos struct {
	name  string
	repos []repoRef
}

// reposByOrg groups the repositories that have presubmits by org, sorted. GitHub compares
// owner names ignoring case, and so does the grouping, so that "Acme/a" and "acme/b" count
// as two repositories of one org.
func reposByOrg(cfg *config.Config) []orgRepos {
	byOrg := map[string]*orgRepos{}
	for key, jobs := range cfg.Presubmits {
		org, repo, ok := strings.Cut(key, "/")
		if !ok || len(jobs) == 0 {
			continue
		}
		lower := strings.ToLower(org)
		if byOrg[lower] == nil {
			byOrg[lower] = &orgRepos{name: org}
		}
		byOrg[lower].repos = append(byOrg[lower].repos, repoRef{org: org, repo: repo})
	}
	out := make([]orgRepos, 0, len(byOrg))
	for _, o := range byOrg {
		sort.Slice(o.repos, func(i, j int) bool { return o.repos[i].repo < o.repos[j].repo })
		out = append(out, *o)
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].name) < strings.ToLower(out[j].name) })
	for i := range out {
		// Name the org by the spelling that sorts first, so logs and metrics do not flap
		// with map order.
		for _, rr := range out[i].repos {
			if rr.org < out[i].name {
				out[i].name = rr.org
			}
		}
	}
	return out
}

// syncRepo resyncs one repository's open pull requests.
func (r *Resyncer) syncRepo(ctx context.Context, cfg *config.Config, pluginCfg *plugins.Configuration, rr repoRef, now time.Time, report *Report) error {
	prs, err := r.opts.GitHub.ListOpenPullRequests(ctx, rr.org, rr.repo)
	if err != nil {
		return err
	}
	report.PullRequests += len(prs)
	if len(prs) == 0 {
		return nil
	}
	handled, err := r.handledHeads(ctx, rr)
	if err != nil {
		return err
	}
	var errs []error
	for _, pr := range prs {
		n, err := r.syncPullRequest(ctx, cfg, pluginCfg, rr, pr, handled, now)
		report.Created += n
		if err != nil {
			errs = append(errs, fmt.Errorf("resync %s/%s#%d: %w", rr.org, rr.repo, pr.GetNumber(), err))
		}
	}
	return errors.Join(errs...)
}

// syncPullRequest creates the presubmits of pr's head if nothing ran for it yet, and returns
// how many it created.
func (r *Resyncer) syncPullRequest(ctx context.Context, cfg *config.Config, pluginCfg *plugins.Configuration, rr repoRef, pr *gogithub.PullRequest, handled map[pullHead]map[string]bool, now time.Time) (int, error) {
	sha := pr.GetHead().GetSHA()
	// A job with a ProwJob for the head counts, whichever event created it and however it
	// ended: an aborted run was cancelled on purpose and must not come back. A head with a
	// ProwJob for every job that could run by itself needs no decision and no GitHub call.
	present := handled[pullHead{number: pr.GetNumber(), sha: sha}]
	// A head's in-repo jobs are known only once its config is read: where in-repo config is
	// on, the central jobs' presence settles nothing.
	inRepo := r.opts.Trigger.InRepoEnabled(cfg, rr.org, rr.repo)
	if sha == "" || pr.GetState() != "open" || (!inRepo && allPresent(cfg.PresubmitsFor(rr.org, rr.repo), pr.GetBase().GetRef(), present)) {
		return 0, nil
	}
	if updated := pr.GetUpdatedAt().Time; !updated.IsZero() && now.Sub(updated) < cfg.Resync.GracePeriodDuration() {
		return 0, nil
	}
	key := fmt.Sprintf("%s/%s#%d@%s", rr.org, rr.repo, pr.GetNumber(), sha)
	inputs := decisionInputs(pr)
	if r.decided.has(key, inputs+jobsFingerprint(present, nil)) {
		return 0, nil
	}
	log := r.opts.Logger.With("org", rr.org, "repo", rr.repo, "pr", pr.GetNumber(), "sha", sha)
	guid := eventGUID(rr.org, rr.repo, pr.GetNumber())
	settings := pluginCfg.TriggerFor(rr.org, rr.repo)
	ev := trigger.Event{
		Config: cfg,
		Trust: trigger.TrustFunc(func(ctx context.Context, org, repo, user, association string) (bool, error) {
			return plugins.Trusted(ctx, r.opts.GitHub, settings, org, repo, user, association)
		}),
		GUID:   guid,
		Logger: log.With("plugin", trigger.PluginName, "event-GUID", guid),
	}
	d, err := r.opts.Trigger.Decide(ctx, ev, pr)
	if err != nil {
		return 0, err
	}
	// The jobs the event would have run that have no ProwJob: all of them when its webhook
	// never arrived, some when the hook failed halfway through it (an apiserver outage).
	var missing []config.Presubmit
	for _, job := range d.Jobs {
		if !present[job.Name] {
			missing = append(missing, job)
		}
	}
	if len(missing) == 0 {
		r.decided.put(key, inputs+jobsFingerprint(present, nil))
		return 0, nil
	}
	missing, err = r.notReportedBefore(ctx, rr, sha, missing)
	if err != nil {
		return 0, err
	}
	if len(missing) == 0 {
		// The jobs ran and the sinker has since deleted them (a pull request idle for
		// longer than sinker.max_prowjob_age): running them again would test nothing new.
		log.Debugw("The head's statuses show its jobs ran; not running them again")
		r.decided.put(key, inputs+jobsFingerprint(present, nil))
		return 0, nil
	}
	created, err := r.opts.Trigger.CreatePresubmits(ctx, ev, trigger.PullRequestRefs(pr), missing, trigger.CreateOptions{Automatic: true})
	if created > 0 {
		log.Infow("Created the presubmits of a head whose webhook never arrived or was handled only in part",
			"created", created, "present", len(present))
	}
	if err != nil {
		return created, err
	}
	r.decided.put(key, inputs+jobsFingerprint(present, missing))
	return created, nil
}

// jobsFingerprint names the jobs a head has once the pass is done with it, present and
// created, for the decided-heads memory: its decision holds only while the head's jobs are
// still those (a run aborted as superseded since does not count, see handledHeads).
func jobsFingerprint(present map[string]bool, created []config.Presubmit) string {
	names := slices.Collect(maps.Keys(present))
	for _, job := range created {
		if !present[job.Name] {
			names = append(names, job.Name)
		}
	}
	slices.Sort(names)
	return "|" + strings.Join(names, ",")
}

// pullHead is one head commit of one pull request.
type pullHead struct {
	number int
	sha    string
}

// allPresent reports whether every presubmit that could run by itself on baseRef (always_run,
// or with run_if_changed / skip_if_only_changed) has a ProwJob among present.
func allPresent(presubmits []config.Presubmit, baseRef string, present map[string]bool) bool {
	for _, job := range presubmits {
		if (job.AlwaysRun || job.HasChangeMatcher()) && job.CouldRun(baseRef) && !present[job.Name] {
			return false
		}
	}
	return true
}

// handledHeads returns, for the pull request heads of rr that have presubmit ProwJobs, the
// names of those jobs, from one list call.
func (r *Resyncer) handledHeads(ctx context.Context, rr repoRef) (map[pullHead]map[string]bool, error) {
	set := labels.Set{
		prowjobsv1.CreatedByProwLabel: "true",
		prowjobsv1.TypeLabel:          string(prowjobsv1.PresubmitJob),
	}
	// A value the apiserver would not take as a label (a ".github" repository) is left off
	// the jobs too (jobs.NewPresubmit); then the refs below do all the filtering.
	for k, v := range map[string]string{prowjobsv1.OrgLabel: rr.org, prowjobsv1.RepoLabel: rr.repo} {
		if lv := prowjobsv1.LabelValue(v); len(validation.IsValidLabelValue(lv)) == 0 {
			set[k] = lv
		}
	}
	list, err := r.opts.ProwJobs.List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(set).String()})
	if err != nil {
		return nil, fmt.Errorf("list the presubmits of %s/%s: %w", rr.org, rr.repo, err)
	}
	heads := map[pullHead]map[string]bool{}
	for i := range list.Items {
		refs := list.Items[i].Spec.Refs
		if refs == nil || len(refs.Pulls) == 0 || !strings.EqualFold(refs.Org, rr.org) || !strings.EqualFold(refs.Repo, rr.repo) {
			continue
		}
		// A run aborted as superseded does not count: on the head of an open pull request
		// that means it was closed or made a draft and has come back, and the job runs
		// again (as the reopened or ready_for_review event does).
		if st := list.Items[i].Status; st.State == prowjobsv1.AbortedState && st.Description == trigger.DescriptionSuperseded {
			continue
		}
		head := pullHead{number: refs.Pulls[0].Number, sha: refs.HeadSHA()}
		if heads[head] == nil {
			heads[head] = map[string]bool{}
		}
		heads[head][list.Items[i].Spec.Job] = true
	}
	return heads, nil
}

// notReportedBefore returns the jobs that have no status on the head commit: the others ran
// for it before, and their ProwJobs are gone.
func (r *Resyncer) notReportedBefore(ctx context.Context, rr repoRef, sha string, jobs []config.Presubmit) ([]config.Presubmit, error) {
	states, err := r.opts.GitHub.GetCombinedStatus(ctx, rr.org, rr.repo, sha)
	if err != nil {
		return nil, err
	}
	var out []config.Presubmit
	for _, job := range jobs {
		if _, ok := states[job.Context]; !ok {
			out = append(out, job)
		}
	}
	return out, nil
}

// decisionInputs is what, besides the head commit, the trigger's decision depends on and a
// pull request can change without a push: a draft made ready, an ok-to-test label, a new
// base branch. A remembered decision holds only while these are the same.
func decisionInputs(pr *gogithub.PullRequest) string {
	okToTest := slices.ContainsFunc(pr.Labels, func(l *gogithub.Label) bool { return strings.EqualFold(l.GetName(), trigger.LabelOkToTest) })
	return strconv.FormatBool(pr.GetDraft()) + "|" + strconv.FormatBool(okToTest) + "|" + pr.GetBase().GetRef()
}
