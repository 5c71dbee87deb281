package horologium_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap/zaptest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
	"knative.dev/pkg/logging"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/client/clientset/versioned/fake"
	prowjobclient "github.com/bosun-ci/bosun/pkg/client/clientset/versioned/typed/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/horologium"
	"github.com/bosun-ci/bosun/pkg/jobs"
)

const ns = "prow"

const configYAML = `
prowjob_namespace: prow
pod_namespace: test-pods
periodics:
- name: hourly
  cron: "30 * * * *"
  extra_refs:
  - {org: acme, repo: widgets, base_ref: main}
  - {org: acme, repo: test-infra, base_ref: master, path_alias: example.com/test-infra}
  pipeline_run_spec: {pipelineRef: {name: hourly}}
- name: interval
  interval: 1h
  pipeline_run_spec: {pipelineRef: {name: interval}}
`

func loadConfig(t testing.TB, yaml string) *config.Config {
	t.Helper()
	c, err := config.LoadBytes("config.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func periodic(t testing.TB, c *config.Config, name string) config.Periodic {
	t.Helper()
	for _, p := range c.AllPeriodics() {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no periodic %q", name)
	return config.Periodic{}
}

func at(day, h, m int) time.Time { return time.Date(2026, time.March, day, h, m, 0, 0, time.UTC) }

// run is an existing ProwJob of a periodic for tick, created at tick plus a few seconds;
// done says whether it has completed.
func run(t testing.TB, c *config.Config, job string, tick time.Time, done bool) *prowjobsv1.ProwJob {
	t.Helper()
	pj := jobs.NewPeriodic(c, periodic(t, c, job), tick, jobs.Options{Now: tick.Add(3 * time.Second)})
	pj.CreationTimestamp = metav1.NewTime(tick.Add(3 * time.Second))
	if done {
		complete(pj, tick.Add(10*time.Minute))
	}
	return pj
}

// prowRun is a periodic run left by Prow's horologium: no scheduled-at annotation.
func prowRun(t testing.TB, c *config.Config, job string, started time.Time) *prowjobsv1.ProwJob {
	pj := run(t, c, job, started, true)
	pj.Name = fmt.Sprintf("prow-%s-%d", job, started.Unix())
	delete(pj.Annotations, jobs.ScheduledAtAnnotation)
	return pj
}

func complete(pj *prowjobsv1.ProwJob, at time.Time) {
	done := metav1.NewTime(at)
	pj.Status.CompletionTime = &done
	pj.Status.State = prowjobsv1.SuccessState
}

func testContext(t *testing.T) context.Context {
	return logging.WithLogger(context.Background(), zaptest.NewLogger(t).Sugar())
}

// created returns "job@tick" for each ProwJob in the fake not in before, sorted.
func created(t *testing.T, client *fake.Clientset, before []runtime.Object) []string {
	t.Helper()
	list, err := client.ProwV1().ProwJobs(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	old := map[string]bool{}
	for _, o := range before {
		old[o.(*prowjobsv1.ProwJob).Name] = true
	}
	var out []string
	for _, pj := range list.Items {
		if !old[pj.Name] {
			out = append(out, pj.Spec.Job+"@"+pj.Annotations[jobs.ScheduledAtAnnotation])
		}
	}
	sort.Strings(out)
	return out
}

func TestSync(t *testing.T) {
	c := loadConfig(t, configYAML)
	presubmit := run(t, c, "hourly", at(3, 9, 30), true)
	presubmit.Name, presubmit.Spec.Type = "presubmit-named-hourly", prowjobsv1.PresubmitJob
	presubmit.Labels[prowjobsv1.TypeLabel] = string(prowjobsv1.PresubmitJob)
	tests := []struct {
		name        string
		existing    []*prowjobsv1.ProwJob
		now         time.Time
		want        []string // "job@tick" created
		wantRunning []string
		wantNotDue  int
	}{{
		name: "never ran: the interval job runs now, the cron job waits for its first tick",
		now:  at(3, 10, 15).Add(2 * time.Second),
		want: []string{"interval@2026-03-03T10:15:00Z"},
		// hourly was first seen now.
		wantNotDue: 1,
	}, {
		name:       "restart: the existing runs say nothing is due",
		existing:   []*prowjobsv1.ProwJob{run(t, c, "hourly", at(3, 9, 30), true), run(t, c, "interval", at(3, 9, 40), true)},
		now:        at(3, 10, 15),
		wantNotDue: 2,
	}, {
		name:     "both due",
		existing: []*prowjobsv1.ProwJob{run(t, c, "hourly", at(3, 9, 30), true), run(t, c, "interval", at(3, 9, 10), true)},
		now:      at(3, 10, 35),
		want:     []string{"hourly@2026-03-03T10:30:00Z", "interval@2026-03-03T10:10:00Z"},
	}, {
		name:     "exactly at the tick",
		existing: []*prowjobsv1.ProwJob{run(t, c, "hourly", at(3, 9, 30), true), run(t, c, "interval", at(3, 9, 30), true)},
		now:      at(3, 10, 30),
		want:     []string{"hourly@2026-03-03T10:30:00Z", "interval@2026-03-03T10:30:00Z"},
	}, {
		name:     "long downtime: one run, for the latest tick",
		existing: []*prowjobsv1.ProwJob{run(t, c, "hourly", at(1, 9, 30), true), run(t, c, "interval", at(1, 9, 10), true)},
		now:      at(3, 10, 35),
		want:     []string{"hourly@2026-03-03T10:30:00Z", "interval@2026-03-03T10:10:00Z"},
	}, {
		name:        "a run still going holds the next one back",
		existing:    []*prowjobsv1.ProwJob{run(t, c, "hourly", at(3, 9, 30), false), run(t, c, "interval", at(3, 9, 10), false)},
		now:         at(3, 10, 35),
		wantRunning: []string{"hourly", "interval"},
	}, {
		name:       "a run still going that is not due yet",
		existing:   []*prowjobsv1.ProwJob{run(t, c, "hourly", at(3, 10, 30), false), run(t, c, "interval", at(3, 10, 10), false)},
		now:        at(3, 10, 35),
		wantNotDue: 2,
	}, {
		name: "the latest tick counts, not the list order",
		existing: []*prowjobsv1.ProwJob{
			run(t, c, "hourly", at(3, 9, 30), true), run(t, c, "hourly", at(3, 10, 30), true), run(t, c, "hourly", at(3, 8, 30), true),
			run(t, c, "interval", at(3, 10, 10), true), run(t, c, "interval", at(3, 8, 10), true),
		},
		now:        at(3, 10, 35),
		wantNotDue: 2,
	}, {
		name:     "an older run still going does not hold back the latest",
		existing: []*prowjobsv1.ProwJob{run(t, c, "hourly", at(3, 8, 30), false), run(t, c, "hourly", at(3, 9, 30), true)},
		now:      at(3, 10, 35),
		want:     []string{"hourly@2026-03-03T10:30:00Z", "interval@2026-03-03T10:35:00Z"},
	}, {
		name:       "runs left by Prow count from their start time",
		existing:   []*prowjobsv1.ProwJob{prowRun(t, c, "hourly", at(3, 9, 31)), prowRun(t, c, "interval", at(3, 9, 50))},
		now:        at(3, 10, 35),
		want:       []string{"hourly@2026-03-03T10:30:00Z"},
		wantNotDue: 1,
	}, {
		name:       "other kinds of job with the same name are not runs",
		existing:   []*prowjobsv1.ProwJob{presubmit},
		now:        at(3, 10, 35),
		want:       []string{"interval@2026-03-03T10:35:00Z"},
		wantNotDue: 1,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var objs []runtime.Object
			for _, pj := range tc.existing {
				objs = append(objs, pj.DeepCopy())
			}
			client := fake.NewSimpleClientset(objs...)
			res, err := horologium.New().Sync(testContext(t), tc.now, c, client.ProwV1().ProwJobs(ns))
			if err != nil {
				t.Fatalf("Sync() = %v", err)
			}
			got := created(t, client, objs)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("created (-want, +got):\n%s", diff)
			}
			if len(res.Created) != len(tc.want) || len(res.AlreadyCreated) != 0 || res.NotDue != tc.wantNotDue {
				t.Errorf("result = %+v, want %d created, %d not due", res, len(tc.want), tc.wantNotDue)
			}
			if diff := cmp.Diff(tc.wantRunning, res.Running); diff != "" {
				t.Errorf("running (-want, +got):\n%s", diff)
			}
		})
	}
}

func TestSyncCreatesThePeriodicsProwJob(t *testing.T) {
	c := loadConfig(t, configYAML)
	client := fake.NewSimpleClientset(run(t, c, "hourly", at(3, 9, 30), true))
	now := at(3, 10, 30).Add(20 * time.Second)
	if _, err := horologium.New().Sync(testContext(t), now, c, client.ProwV1().ProwJobs(ns)); err != nil {
		t.Fatal(err)
	}
	tick := at(3, 10, 30)
	pj, err := client.ProwV1().ProwJobs(ns).Get(context.Background(), jobs.PeriodicName("hourly", tick), metav1.GetOptions{})
	if err != nil {
		t.Fatalf("no ProwJob named for hourly at %s: %v", tick, err)
	}
	if pj.Spec.Type != prowjobsv1.PeriodicJob || pj.Spec.Refs != nil || pj.Labels[prowjobsv1.JobLabel] != "hourly" || pj.Labels[prowjobsv1.OrgLabel] != "" {
		t.Errorf("ProwJob = type %q refs %v labels %v; want a periodic without refs", pj.Spec.Type, pj.Spec.Refs, pj.Labels)
	}
	if diff := cmp.Diff(periodic(t, c, "hourly").ExtraRefs, pj.Spec.ExtraRefs); diff != "" {
		t.Errorf("extra_refs (-want, +got):\n%s", diff)
	}
	if !pj.Status.StartTime.Time.Equal(now) || !jobs.ScheduledAt(pj).Equal(tick) {
		t.Errorf("start time %s, scheduled at %s; want %s and %s", pj.Status.StartTime, jobs.ScheduledAt(pj), now, tick)
	}
}

// TestSyncCronWaitsForItsFirstTick follows a cron periodic that never ran through a few
// syncs, and a restart before its first run.
func TestSyncCronWaitsForItsFirstTick(t *testing.T) {
	c := loadConfig(t, configYAML)
	client := fake.NewSimpleClientset()
	jobsClient := client.ProwV1().ProwJobs(ns)
	h := horologium.New()
	ctx := testContext(t)
	hourlyRuns := func() []string {
		var out []string
		for _, s := range created(t, client, nil) {
			if strings.HasPrefix(s, "hourly@") {
				out = append(out, s)
			}
		}
		return out
	}
	for _, now := range []time.Time{at(3, 10, 15), at(3, 10, 29)} {
		if _, err := h.Sync(ctx, now, c, jobsClient); err != nil {
			t.Fatal(err)
		}
		if got := hourlyRuns(); len(got) != 0 {
			t.Fatalf("at %s: hourly ran before its first tick: %v", now, got)
		}
	}
	// A restarted horologium has forgotten when it first saw the job: the 10:30 tick, which
	// came while it was down, is not run; the next one is.
	restarted := horologium.New()
	if _, err := restarted.Sync(ctx, at(3, 10, 31), c, jobsClient); err != nil {
		t.Fatal(err)
	}
	if got := hourlyRuns(); len(got) != 0 {
		t.Fatalf("a restart ran the tick it did not see: %v", got)
	}
	if _, err := h.Sync(ctx, at(3, 10, 31), c, jobsClient); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"hourly@2026-03-03T10:30:00Z"}, hourlyRuns()); diff != "" {
		t.Fatalf("hourly runs (-want, +got):\n%s", diff)
	}
}

// TestSyncConcurrentReplicas runs two horologiums (two controller replicas) over one
// apiserver, both listing before either creates: the second create of each run fails with
// AlreadyExists, so each due tick still makes one ProwJob.
func TestSyncConcurrentReplicas(t *testing.T) {
	c := loadConfig(t, configYAML)
	client := fake.NewSimpleClientset(run(t, c, "hourly", at(3, 9, 30), true))
	var listed sync.WaitGroup
	listed.Add(2)
	now := at(3, 10, 35)
	results := make([]horologium.Result, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replica := barrierClient{ProwJobInterface: client.ProwV1().ProwJobs(ns), listed: &listed}
			results[i], errs[i] = horologium.New().Sync(testContext(t), now, c, replica)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	want := []string{"hourly@2026-03-03T10:30:00Z", "interval@2026-03-03T10:35:00Z"}
	if diff := cmp.Diff(want, created(t, client, []runtime.Object{run(t, c, "hourly", at(3, 9, 30), true)})); diff != "" {
		t.Errorf("created (-want, +got):\n%s", diff)
	}
	var createdBy, existed []string
	for _, r := range results {
		createdBy = append(createdBy, r.Created...)
		existed = append(existed, r.AlreadyCreated...)
	}
	slices.Sort(createdBy)
	slices.Sort(existed)
	if diff := cmp.Diff([]string{"hourly", "interval"}, createdBy); diff != "" {
		t.Errorf("created by the replicas (-want, +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"hourly", "interval"}, existed); diff != "" {
		t.Errorf("found already created (-want, +got):\n%s", diff)
	}
}

// barrierClient holds each List back until every replica has listed, so neither sees the
// runs the other creates.
type barrierClient struct {
	prowjobclient.ProwJobInterface
	listed *sync.WaitGroup
}

func (c barrierClient) List(ctx context.Context, opts metav1.ListOptions) (*prowjobsv1.ProwJobList, error) {
	list, err := c.ProwJobInterface.List(ctx, opts)
	c.listed.Done()
	c.listed.Wait()
	return list, err
}

// TestSyncOverADay syncs every minute of a day with a three-hour outage, completing each
// run a few minutes after it starts, and restarting the horologium now and then. Every
// tick runs once, the outage costs its ticks but one catch-up run, and nothing doubles.
func TestSyncOverADay(t *testing.T) {
	c := loadConfig(t, configYAML)
	client := fake.NewSimpleClientset()
	jobsClient := client.ProwV1().ProwJobs(ns)
	ctx := testContext(t)
	// The cron job must have run once for a restart not to reset its wait.
	if err := client.Tracker().Add(run(t, c, "hourly", at(2, 23, 30), true)); err != nil {
		t.Fatal(err)
	}
	h := horologium.New()
	start := at(3, 0, 0).Add(20 * time.Second)
	for now := start; now.Before(start.Add(24 * time.Hour)); now = now.Add(time.Minute) {
		if now.Hour() >= 5 && now.Hour() < 8 {
			continue // down
		}
		if now.Minute() == 45 {
			h = horologium.New() // restarted
		}
		if _, err := h.Sync(ctx, now, c, jobsClient); err != nil {
			t.Fatal(err)
		}
		list, err := jobsClient.List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range list.Items {
			pj := &list.Items[i]
			if !pj.Complete() && now.Sub(pj.Status.StartTime.Time) >= 5*time.Minute {
				complete(pj, now)
				if _, err := jobsClient.Update(ctx, pj, metav1.UpdateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	got := map[string][]string{}
	for _, s := range created(t, client, []runtime.Object{run(t, c, "hourly", at(2, 23, 30), true)}) {
		job, tick, _ := strings.Cut(s, "@")
		got[job] = append(got[job], tick[len("2026-03-03T"):len("2026-03-03T15:04")])
	}
	want := map[string][]string{
		// 05:30, 06:30 and 07:30 fell in the outage: 07:30 runs when it ends.
		"hourly": {"00:30", "01:30", "02:30", "03:30", "04:30", "07:30", "08:30", "09:30", "10:30", "11:30",
			"12:30", "13:30", "14:30", "15:30", "16:30", "17:30", "18:30", "19:30", "20:30", "21:30", "22:30", "23:30"},
		// First run at once; then every hour on the first run's grid, 08:00 after the outage.
		"interval": {"00:00", "01:00", "02:00", "03:00", "04:00", "08:00", "09:00", "10:00", "11:00", "12:00",
			"13:00", "14:00", "15:00", "16:00", "17:00", "18:00", "19:00", "20:00", "21:00", "22:00", "23:00"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("runs by tick (-want, +got):\n%s", diff)
	}
}

func TestSyncErrors(t *testing.T) {
	c := loadConfig(t, configYAML)
	t.Run("a failed create does not stop the others", func(t *testing.T) {
		client := fake.NewSimpleClientset(run(t, c, "hourly", at(3, 9, 30), true))
		client.PrependReactor("create", "prowjobs", func(a k8stesting.Action) (bool, runtime.Object, error) {
			if a.(k8stesting.CreateAction).GetObject().(*prowjobsv1.ProwJob).Spec.Job == "hourly" {
				return true, nil, errors.New("etcd is having a day")
			}
			return false, nil, nil
		})
		res, err := horologium.New().Sync(testContext(t), at(3, 10, 35), c, client.ProwV1().ProwJobs(ns))
		if err == nil || !strings.Contains(err.Error(), "create the 2026-03-03T10:30:00Z run of periodic hourly: etcd is having a day") {
			t.Errorf("Sync() error = %v", err)
		}
		if diff := cmp.Diff([]string{"interval"}, res.Created); diff != "" {
			t.Errorf("created (-want, +got):\n%s", diff)
		}
	})
	t.Run("a failed list creates nothing", func(t *testing.T) {
		client := fake.NewSimpleClientset()
		client.PrependReactor("list", "prowjobs", func(k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, errors.New("connection refused")
		})
		res, err := horologium.New().Sync(testContext(t), at(3, 10, 35), c, client.ProwV1().ProwJobs(ns))
		if err == nil || len(res.Created) != 0 {
			t.Errorf("Sync() = %+v, %v; want an error and nothing created", res, err)
		}
	})
}

func TestSyncEveryDescriptorRunsAtOnce(t *testing.T) {
	c := loadConfig(t, `
prowjob_namespace: prow
periodics:
- name: often
  cron: "@every 10m"
  pipeline_run_spec: {pipelineRef: {name: often}}
`)
	client := fake.NewSimpleClientset()
	h := horologium.New()
	for _, now := range []time.Time{at(3, 10, 15).Add(30 * time.Second), at(3, 10, 16), at(3, 10, 26)} {
		if _, err := h.Sync(testContext(t), now, c, client.ProwV1().ProwJobs(ns)); err != nil {
			t.Fatal(err)
		}
		// Complete every run at once.
		list, _ := client.ProwV1().ProwJobs(ns).List(context.Background(), metav1.ListOptions{})
		for i := range list.Items {
			complete(&list.Items[i], now)
			if _, err := client.ProwV1().ProwJobs(ns).Update(context.Background(), &list.Items[i], metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := []string{"often@2026-03-03T10:15:00Z", "often@2026-03-03T10:25:00Z"}
	if diff := cmp.Diff(want, created(t, client, nil)); diff != "" {
		t.Errorf("created (-want, +got):\n%s", diff)
	}
}
