package faults

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gogithub "github.com/google/go-github/v93/github"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/test/framework"
)

// The outage's timeline, from the first event. The windows are scaled to keep the case near
// 90 s on two cores: a 10 s freeze, 12 s of recovery before the crash, and the apiserver
// killed and started again 6 s later (it is ready 3-5 s after that: away about 10 s).
const (
	outageNamespace = "faults-outage"
	outageSecret    = "outage-secret"
	// outageEventsPerSecond paces the generator: one pull_request event per tick.
	outageEventsPerSecond = 20
	outageFreezeAt        = 5 * time.Second
	outageFreezeFor       = 10 * time.Second
	outageKillAt          = 27 * time.Second
	outageDeadFor         = 6 * time.Second
	// outageLoadAfterRestart is how long events keep coming once the restarted apiserver
	// is ready.
	outageLoadAfterRestart = 6 * time.Second
	// outageResyncInterval is the resync's interval in outageConfig; once every job is
	// there, the count is given outageStable (a few passes) to come right before it counts.
	outageResyncInterval = 2 * time.Second
	outageStable         = 4*outageResyncInterval + 2*time.Second
	// outageSettle bounds the wait, after the last event, for every delivery to be handled
	// and every job to be there.
	outageSettle = 90 * time.Second
	// outageRedeliveries is how many times the operator redelivers one delivery at most,
	// and outageOperatorParallel how many it has in flight at once.
	outageRedeliveries     = 8
	outageOperatorParallel = 10
	// outageOpenedMinAge: a pull request is synchronized only once it is this old, as a
	// push follows an open by more than a moment.
	outageOpenedMinAge = time.Second
)

// outageConfig turns the resync on with a short interval and no grace period, so that it
// races the webhooks and their redeliveries for the same heads.
var outageConfig = jobConfig(outageNamespace, fmt.Sprintf("resync:\n  interval: %s\n  grace_period: 0s\n", outageResyncInterval))

// TestApiserverOutage runs the hook and the controller binaries under a steady stream of
// pull_request events (new pull requests opened, open ones pushed to) while the apiserver
// is first frozen (SIGSTOP, then SIGCONT) and later killed (SIGKILL) and started again on
// the same etcd. As GitHub does not redeliver by itself, the test plays the operator: once
// the apiserver is back it redelivers, with the same X-GitHub-Delivery, every delivery
// that got no 2xx answer, until each one got one. The resync runs meanwhile, every 2 s.
//
// Then, for every head commit an event announced and each job that runs by itself (unit,
// lint), counting ProwJobs by their refs and state:
//
//   - lost: the pull request's current head has no ProwJob for the job, or every ProwJob
//     for the job there is aborted;
//   - skipped: a head the pull request has since left has none (its event was handled, or
//     redelivered, after a newer push: the trigger declines a stale push, one GitHub call
//     telling it so, rather than abort the newer head's runs for it);
//   - doubled: more than one ProwJob for the job on that head is not aborted (an aborted
//     run that was run again counts once: only live runs are counted);
//   - stale: a head the pull request has since left still has a live run (a redelivered old
//     event runs it again after its newer push was handled); reported, not failed: the
//     events say so, and nothing newer aborts it;
//   - unexpected: a ProwJob for a job or head no event asked for.
//
// The count is taken once every head has a ProwJob for each job, and again each second for
// a few resync passes while it is not right (the resync runs aborted runs of current heads
// again). lost, doubled and unexpected must be 0, every delivery must end with a 2xx, the
// binaries must still run, and every live job must get its PipelineRun. The FAULT line
// gives, for each fault, the seconds from the apiserver being back (thawed; restarted and
// ready) to every head announced until then having a ProwJob for each of its jobs (-1 for
// the freeze when the crash came first; missing_at_kill then says how far it was). Those
// times are figures, not assertions: they depend on the machine.
func TestApiserverOutage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	env := startControlPlane(ctx, t)
	if err := env.Cluster.CreateNamespace(ctx, outageNamespace); err != nil {
		t.Fatal(err)
	}
	bosun := startBosun(ctx, t, env, framework.BinaryOptions{ConfigYAML: outageConfig, PluginsYAML: pluginConfig, Secret: outageSecret})
	// A failed case must not leave the apiserver stopped for the clean-up.
	t.Cleanup(func() { _ = env.Cluster.ThawAPIServer() })

	o := newOutageRun(env, bosun.HookURL)
	began := time.Now()
	loadUntil := make(chan time.Time, 1)
	faultsDone := make(chan error, 1)
	go func() { faultsDone <- o.runFaults(ctx, t, began, loadUntil) }()
	operatorDone := make(chan struct{})
	stopOperator := make(chan struct{})
	go func() {
		defer close(operatorDone)
		o.operate(ctx, stopOperator)
	}()

	if err := o.generate(ctx, began, loadUntil); err != nil {
		t.Errorf("event generator: %v", err)
	}
	if err := <-faultsDone; err != nil {
		t.Fatalf("faults: %v", err)
	}
	t.Logf("%d events sent in %s; waiting for every delivery to be handled", len(o.snapshot()), time.Since(began).Round(time.Millisecond))

	// Every delivery handled: the operator stops once none is failed or in flight.
	settleCtx, settleCancel := context.WithTimeout(ctx, outageSettle)
	defer settleCancel()
	err := framework.Poll(settleCtx, 200*time.Millisecond, func(context.Context) (bool, error) {
		return o.allHandled(), nil
	})
	close(stopOperator)
	<-operatorDone
	o.wg.Wait() // the last attempts
	if err != nil {
		t.Errorf("not every delivery got a 2xx after up to %d redeliveries: %v; %s", outageRedeliveries, err, o.failures())
	}
	lastBack := o.backTimes()
	allPresent, err := o.waitPresent(settleCtx, t, len(o.snapshot()))
	if err != nil {
		t.Errorf("not every announced head got its jobs: %v", err)
	}
	o.measures.Wait() // they end once all is there, or with settleCtx
	recoveries := o.recoveries()

	// The final count, from the apiserver. A head whose runs a late event aborted may get
	// them back from the resync: the count gets a few resync passes to come right.
	var (
		pjs []prowjobsv1.ProwJob
		c   outageCount
	)
	stableCtx, stableCancel := context.WithTimeout(ctx, outageStable)
	defer stableCancel()
	_ = framework.Poll(stableCtx, time.Second, func(context.Context) (bool, error) {
		pjs = listProwJobs(ctx, t, env, outageNamespace)
		c = o.count(pjs)
		return c.lost == 0 && c.doubled == 0 && c.unexpected == 0, nil
	})
	for _, s := range c.samples {
		t.Error(s)
	}
	missingRuns := waitForPipelineRuns(settleCtx, t, env, outageNamespace, pjs)
	if err := bosun.Exited(); err != nil {
		t.Errorf("a binary did not survive the outage: %v", err)
	}
	hookMem, err := framework.ProcessMemory(bosun.HookPID(0))
	if err != nil {
		t.Error(err)
	}
	ctrlMem, err := framework.ProcessMemory(bosun.ControllerPID())
	if err != nil {
		t.Error(err)
	}

	sent, first2xx, redelivered := o.deliveryFigures()
	reportFault(t, "apiserver-outage",
		"events", sent, "jobs", len(pjs), "doubled", c.doubled, "lost", c.lost, "stale", c.stale, "skipped", c.skipped, "unexpected", c.unexpected,
		"first_try_non2xx", sent-first2xx, "redeliveries", redelivered, "runs_missing", missingRuns,
		"freeze_s", outageFreezeFor.Seconds(), "down_s", lastBack.down.Seconds(),
		"freeze_recovery_s", seconds(recoveries[0]), "missing_at_kill", o.missingAtKill.Load(),
		"restart_recovery_s", seconds(recoveries[1]), "recovery_s", seconds(max(recoveries[0], recoveries[1])),
		"all_present_after_s", allPresent.Sub(began).Seconds(),
		"hook_peak_rss_mib", framework.MiB(hookMem.Peak), "controller_peak_rss_mib", framework.MiB(ctrlMem.Peak))
	if c.lost != 0 || c.doubled != 0 || c.unexpected != 0 {
		t.Errorf("lost %d, doubled %d, unexpected %d; want none", c.lost, c.doubled, c.unexpected)
	}
	if missingRuns != 0 {
		t.Errorf("%d live ProwJobs never got their PipelineRun", missingRuns)
	}
}

// seconds is d in seconds, or -1 for a recovery never measured.
func seconds(d time.Duration) float64 {
	if d < 0 {
		return -1
	}
	return d.Seconds()
}

// outageEvent is one pull_request delivery of the generator.
type outageEvent struct {
	guid   string
	action string // opened or synchronize
	number int
	head   string
	body   []byte
}

// outageDelivery is a delivery and what became of it; outageRun.mu guards it.
type outageDelivery struct {
	ev        outageEvent
	sentAt    time.Time
	attempts  int
	inFlight  bool
	ok        bool // some attempt got a 2xx
	firstOK   bool // the first attempt did
	lastCode  int
	lastError error
}

// outageBack is when the apiserver came back from each fault.
type outageBack struct {
	thawed, restarted time.Time
	// down is how long the apiserver was away in the second fault: kill to ready.
	down time.Duration
}

// outageRun is the state of one TestApiserverOutage.
type outageRun struct {
	env     *framework.Env
	hookURL string
	client  *http.Client
	rng     *rand.Rand
	// apiUp is false from a fault's start until the apiserver is back; the operator
	// redelivers only while it is true.
	apiUp atomic.Bool

	mu         sync.Mutex
	deliveries []*outageDelivery
	// redelivering counts the operator's attempts in flight.
	redelivering int
	opened       []openedPull // pull requests open, in order of opening
	back         outageBack
	// recovery[i] is the time from the apiserver coming back from fault i to every head
	// announced before that having its jobs; -1 until measured.
	recovery [2]time.Duration
	// stillMissing[i] is how many (head, job) pairs announced before the apiserver came
	// back from fault i the last listing lacked; missingAtKill is stillMissing[0] when the
	// second fault began.
	stillMissing  [2]atomic.Int64
	missingAtKill atomic.Int64
	// wg counts the deliveries' attempts in flight, measures the recovery measurements.
	wg, measures sync.WaitGroup
}

type openedPull struct {
	number int
	at     time.Time
	head   string
}

func newOutageRun(env *framework.Env, hookURL string) *outageRun {
	o := &outageRun{env: env, hookURL: hookURL, client: githubClient(), rng: rand.New(rand.NewPCG(8, 8))}
	o.apiUp.Store(true)
	o.recovery = [2]time.Duration{-1, -1}
	return o
}

// generate sends outageEventsPerSecond events until the time loadUntil gives (sent by
// runFaults once the second fault is over), each in its own goroutine (o.wg). Every other event opens a new pull request; the others push a new
// commit to an open one. The emulator holds each pull request as GitHub would before its
// event goes out.
func (o *outageRun) generate(ctx context.Context, began time.Time, loadUntil <-chan time.Time) error {
	tick := time.NewTicker(time.Second / outageEventsPerSecond)
	defer tick.Stop()
	var end time.Time
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case end = <-loadUntil:
		case <-tick.C:
		}
		now := time.Now()
		if !end.IsZero() && now.After(end) {
			return nil
		}
		if now.Sub(began) > 3*time.Minute {
			return fmt.Errorf("the faults never ended")
		}
		ev, err := o.nextEvent(i, now)
		if err != nil {
			return err
		}
		d := &outageDelivery{ev: ev, sentAt: now}
		o.mu.Lock()
		o.deliveries = append(o.deliveries, d)
		o.mu.Unlock()
		o.attempt(ctx, d)
	}
}

// nextEvent makes event i and updates the emulator for it.
func (o *outageRun) nextEvent(i int, now time.Time) (outageEvent, error) {
	o.mu.Lock()
	var candidates []int
	for j, p := range o.opened {
		if now.Sub(p.at) >= outageOpenedMinAge {
			candidates = append(candidates, j)
		}
	}
	ev := outageEvent{guid: fmt.Sprintf("outage-%05d", i), action: "opened", number: len(o.opened) + 1}
	if i%2 == 1 && len(candidates) > 0 {
		j := candidates[o.rng.IntN(len(candidates))]
		ev.action, ev.number = "synchronize", o.opened[j].number
	}
	ev.head = sha(1_000_000 + i)
	if ev.action == "opened" {
		o.opened = append(o.opened, openedPull{number: ev.number, at: now, head: ev.head})
	} else {
		o.opened[ev.number-1].head = ev.head
	}
	created := o.opened[ev.number-1].at
	o.mu.Unlock()

	pr := pullRequest(ev.number, ev.head)
	pr.UpdatedAt = now
	obj, err := framework.PullRequestObject(pr)
	if err != nil {
		return ev, fmt.Errorf("pull request #%d: %w", ev.number, err)
	}
	obj.CreatedAt = &gogithub.Timestamp{Time: created.UTC().Truncate(time.Second)}
	obj.UpdatedAt = &gogithub.Timestamp{Time: now.UTC().Truncate(time.Second)}
	o.env.GitHub.AddPullRequest(pr.Org, pr.Repo, obj)
	if ev.body, err = framework.PullRequestPayload(ev.action, pr); err != nil {
		return ev, fmt.Errorf("%s payload for #%d: %w", ev.action, ev.number, err)
	}
	return ev, nil
}

// attempt sends d once, in the background.
func (o *outageRun) attempt(ctx context.Context, d *outageDelivery) {
	o.mu.Lock()
	d.inFlight = true
	d.attempts++
	first := d.attempts == 1
	if !first {
		o.redelivering++
	}
	o.mu.Unlock()
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		code, err := deliver(ctx, o.client, o.hookURL, "pull_request", d.ev.guid, d.ev.body, []byte(outageSecret))
		o.mu.Lock()
		defer o.mu.Unlock()
		d.inFlight = false
		if !first {
			o.redelivering--
		}
		d.lastCode, d.lastError = code, err
		if code >= 200 && code < 300 {
			d.ok = true
			d.firstOK = first
		}
	}()
}

// operate is the operator: every 100 ms, while the apiserver is up, it redelivers the
// deliveries that have been answered with something else than a 2xx (or not at all), oldest
// first, outageOperatorParallel at a time, each at most outageRedeliveries times, until
// stop. (All at once, the redeliveries of a long outage queue behind the hook's apiserver
// rate limit, time out and fail again.)
func (o *outageRun) operate(ctx context.Context, stop <-chan struct{}) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-stop:
			return
		case <-tick.C:
		}
		if !o.apiUp.Load() {
			continue
		}
		o.mu.Lock()
		var retry []*outageDelivery
		for _, d := range o.deliveries { // oldest first
			if o.redelivering+len(retry) >= outageOperatorParallel {
				break
			}
			if !d.ok && !d.inFlight && d.attempts <= outageRedeliveries {
				retry = append(retry, d)
			}
		}
		o.mu.Unlock()
		for _, d := range retry {
			o.attempt(ctx, d)
		}
	}
}

// runFaults freezes the apiserver, thaws it, later kills it and starts it again, at the
// timeline's times from began, and tells the generator when to stop. Each time the
// apiserver is back it starts measuring the recovery from that fault.
func (o *outageRun) runFaults(ctx context.Context, t *testing.T, began time.Time, loadUntil chan<- time.Time) error {
	at := func(d time.Duration) error {
		timer := time.NewTimer(time.Until(began.Add(d)))
		defer timer.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return nil
		}
	}
	cluster := o.env.Cluster
	if err := at(outageFreezeAt); err != nil {
		return err
	}
	o.apiUp.Store(false)
	if err := cluster.FreezeAPIServer(); err != nil {
		return err
	}
	t.Logf("%s: apiserver frozen (SIGSTOP)", time.Since(began).Round(time.Millisecond))
	if err := at(outageFreezeAt + outageFreezeFor); err != nil {
		return err
	}
	if err := cluster.ThawAPIServer(); err != nil {
		return err
	}
	thawed := time.Now()
	o.apiUp.Store(true)
	t.Logf("%s: apiserver thawed (SIGCONT)", thawed.Sub(began).Round(time.Millisecond))
	stopFreezeMeasure := o.measureRecovery(ctx, 0, thawed)

	if err := at(outageKillAt); err != nil {
		return err
	}
	// A recovery from the freeze that the crash interrupts is not measured: it would count
	// the crash's downtime.
	stopFreezeMeasure()
	o.apiUp.Store(false)
	o.missingAtKill.Store(o.stillMissing[0].Load())
	t.Logf("%s: %d (head, job) pairs announced before the thaw lacked a ProwJob at the last look", time.Since(began).Round(time.Millisecond), o.missingAtKill.Load())
	killed := time.Now()
	if err := cluster.KillAPIServer(); err != nil {
		return err
	}
	t.Logf("%s: apiserver killed (SIGKILL)", time.Since(began).Round(time.Millisecond))
	if err := at(outageKillAt + outageDeadFor); err != nil {
		return err
	}
	if err := cluster.RestartAPIServer(ctx); err != nil {
		return err
	}
	restarted := time.Now()
	o.apiUp.Store(true)
	t.Logf("%s: apiserver restarted and ready, %s after the kill", restarted.Sub(began).Round(time.Millisecond), restarted.Sub(killed).Round(time.Millisecond))
	o.mu.Lock()
	o.back = outageBack{thawed: thawed, restarted: restarted, down: restarted.Sub(killed)}
	o.mu.Unlock()
	_ = o.measureRecovery(ctx, 1, restarted) // runs until all is there or the test ends
	loadUntil <- restarted.Add(outageLoadAfterRestart)
	return nil
}

// measureRecovery records, in the background, how long after back every head announced
// by then has a ProwJob for each of its jobs; the function it returns stops the measure
// (the recovery then stays unmeasured, -1, unless it was complete).
func (o *outageRun) measureRecovery(ctx context.Context, fault int, back time.Time) (stop func()) {
	n := len(o.snapshot())
	ctx, cancel := context.WithTimeout(ctx, outageSettle)
	o.measures.Add(1)
	go func() {
		defer o.measures.Done()
		defer cancel()
		at, err := o.presentAt(ctx, n, func(missing int) { o.stillMissing[fault].Store(int64(missing)) })
		if err != nil {
			return
		}
		o.mu.Lock()
		o.recovery[fault] = at.Sub(back)
		o.mu.Unlock()
	}()
	return cancel
}

// waitPresent waits until the heads of the first n deliveries all have their jobs, and
// returns when that was first seen.
func (o *outageRun) waitPresent(ctx context.Context, t *testing.T, n int) (time.Time, error) {
	t.Helper()
	return o.presentAt(ctx, n, nil)
}

// presentAt polls the apiserver until every head the first n deliveries announced has a
// ProwJob for each automatic job, and returns the time of the listing that showed it.
func (o *outageRun) presentAt(ctx context.Context, n int, report func(missing int)) (time.Time, error) {
	// The heads the pull requests had after the first n events. A head a later push left
	// need not run (the trigger declines a stale event, see count), so a pull request
	// pushed to again since is left out of the measure: each poll looks again.
	heads := map[int]string{}
	for _, d := range o.snapshot()[:n] {
		heads[d.ev.number] = d.ev.head
	}
	var (
		at      time.Time
		want    map[headJob]bool
		missing = 2 * len(heads)
	)
	err := framework.Poll(ctx, 500*time.Millisecond, func(ctx context.Context) (bool, error) {
		latest := map[int]string{}
		for _, d := range o.snapshot() {
			latest[d.ev.number] = d.ev.head
		}
		want = map[headJob]bool{}
		for number, head := range heads {
			if latest[number] != head {
				continue
			}
			for _, job := range automaticJobs {
				want[headJob{number, head, job}] = true
			}
		}
		list, err := o.env.ProwJobs.ProwV1().ProwJobs(outageNamespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil // the apiserver may be away or catching up
		}
		// The time of the answer, not of the question: a list sent while the apiserver is
		// away waits (client-go retries) and is answered after it is back.
		listed := time.Now()
		have := map[headJob]bool{}
		for i := range list.Items {
			if k, ok := headJobOf(&list.Items[i]); ok {
				have[k] = true
			}
		}
		missing = 0
		for k := range want {
			if !have[k] {
				missing++
			}
		}
		at = listed
		if report != nil {
			report(missing)
		}
		return missing == 0, nil
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("%d of %d (head, job) pairs still without a ProwJob: %w", missing, len(want), err)
	}
	return at, nil
}

// headJob is one job on one pull request head.
type headJob struct {
	number int
	sha    string
	job    string
}

func headJobOf(pj *prowjobsv1.ProwJob) (headJob, bool) {
	refs := pj.Spec.Refs
	if pj.Spec.Type != prowjobsv1.PresubmitJob || refs == nil || len(refs.Pulls) != 1 {
		return headJob{}, false
	}
	return headJob{refs.Pulls[0].Number, refs.HeadSHA(), pj.Spec.Job}, true
}

func (o *outageRun) snapshot() []*outageDelivery {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]*outageDelivery(nil), o.deliveries...)
}

func (o *outageRun) allHandled() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, d := range o.deliveries {
		if !d.ok && (d.inFlight || d.attempts <= outageRedeliveries) {
			return false
		}
	}
	return true
}

// failures describes the deliveries that never got a 2xx.
func (o *outageRun) failures() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for _, d := range o.deliveries {
		if !d.ok {
			out = append(out, fmt.Sprintf("%s (%s #%d, %d attempts, last %d %v)", d.ev.guid, d.ev.action, d.ev.number, d.attempts, d.lastCode, d.lastError))
		}
	}
	if len(out) > 5 {
		out = append(out[:5], fmt.Sprintf("and %d more", len(out)-5))
	}
	return strings.Join(out, "; ")
}

func (o *outageRun) deliveryFigures() (sent, firstOK, redelivered int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, d := range o.deliveries {
		sent++
		if d.firstOK {
			firstOK++
		}
		redelivered += d.attempts - 1
	}
	return sent, firstOK, redelivered
}

func (o *outageRun) backTimes() outageBack {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.back
}

func (o *outageRun) recoveries() [2]time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.recovery
}

// outageCount is the verdict on the final ProwJobs (see TestApiserverOutage).
type outageCount struct {
	lost, doubled, stale, skipped, unexpected int
	// samples describe the first few offending pairs.
	samples []string
}

// count checks pjs against what the events announced.
func (o *outageRun) count(pjs []prowjobsv1.ProwJob) outageCount {
	type tally struct{ total, live int }
	announced := map[headJob]bool{}
	current := map[int]string{}
	for _, d := range o.snapshot() {
		for _, job := range automaticJobs {
			announced[headJob{d.ev.number, d.ev.head, job}] = true
		}
		current[d.ev.number] = d.ev.head // events are in the order the emulator saw them
	}
	var c outageCount
	sample := func(format string, args ...any) {
		if len(c.samples) < 8 {
			c.samples = append(c.samples, fmt.Sprintf(format, args...))
		}
	}
	tallies := map[headJob]*tally{}
	for i := range pjs {
		pj := &pjs[i]
		k, ok := headJobOf(pj)
		if !ok || !announced[k] {
			c.unexpected++
			sample("unexpected ProwJob %s (%s, refs %v)", pj.Name, pj.Spec.Job, pj.Spec.Refs)
			continue
		}
		if tallies[k] == nil {
			tallies[k] = &tally{}
		}
		tallies[k].total++
		if pj.Status.State != prowjobsv1.AbortedState {
			tallies[k].live++
		}
	}
	keys := make([]headJob, 0, len(announced))
	for k := range announced {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].number != keys[j].number {
			return keys[i].number < keys[j].number
		}
		return keys[i].sha+keys[i].job < keys[j].sha+keys[j].job
	})
	for _, k := range keys {
		tl := tallies[k]
		if tl == nil {
			tl = &tally{}
		}
		isCurrent := current[k.number] == k.sha
		switch {
		case !isCurrent && tl.total == 0:
			// Its event came (or came again) after a newer push had been handled: the
			// trigger declines a head the pull request has left.
			c.skipped++
		case isCurrent && tl.total == 0:
			c.lost++
			sample("lost: #%d's current head %s has no %s ProwJob", k.number, k.sha, k.job)
		case isCurrent && tl.live == 0:
			c.lost++
			sample("lost: #%d's current head %s has only aborted %s ProwJobs (%d)", k.number, k.sha, k.job, tl.total)
		}
		if tl.live > 1 {
			c.doubled += tl.live - 1
			sample("doubled: #%d %s has %d live %s ProwJobs", k.number, k.sha, tl.live, k.job)
		}
		if !isCurrent && tl.live > 0 {
			c.stale++
		}
	}
	return c
}

// waitForPipelineRuns waits (bounded by ctx) until every ProwJob of pjs that is not aborted has its
// PipelineRun, and returns how many still have none.
func waitForPipelineRuns(ctx context.Context, t *testing.T, env *framework.Env, namespace string, pjs []prowjobsv1.ProwJob) int {
	t.Helper()
	missing := 0
	err := framework.Poll(ctx, time.Second, func(ctx context.Context) (bool, error) {
		runs, err := env.Tekton.TektonV1().PipelineRuns(namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil
		}
		have := map[string]bool{}
		for _, r := range runs.Items {
			have[r.Name] = true
		}
		missing = 0
		for _, pj := range pjs {
			if pj.Status.State != prowjobsv1.AbortedState && !have[pj.Name] {
				missing++
			}
		}
		return missing == 0, nil
	})
	if err != nil {
		t.Logf("waiting for PipelineRuns: %v", err)
	}
	return missing
}
