package integration

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"go.uber.org/zap"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"knative.dev/pkg/logging"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/controllermanager"
	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/pkg/reconciler/crier"
	"github.com/bosun-ci/bosun/test/fakegithub"
	"github.com/bosun-ci/bosun/test/framework"
)

// restartJobs is how many jobs are running when the controller restarts.
const restartJobs = 1000

// TestControllerRestartRepostsNothing restarts the controller over 1,000 running jobs whose
// pending statuses were posted: the restarted reporter posts none of them again, and then
// posts each job's result once. Before the reporter kept a ledger, a restart re-posted
// every running job's pending status, and a restart with 4,703 of them spent most of an
// hour's 5,000-request budget in four seconds.
func TestControllerRestartRepostsNothing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	namespace := fmt.Sprintf("it-%d", namespaceSeq.Add(1))
	if err := env.Cluster.CreateNamespace(ctx, namespace); err != nil {
		t.Fatal(err)
	}
	// A GitHub of this test's own, so that its counts hold only this test's statuses.
	gh := fakegithub.New()
	t.Cleanup(gh.Close)
	client, err := github.NewClient(github.Options{BaseURL: gh.URL()})
	if err != nil {
		t.Fatal(err)
	}
	env.StopControllers()
	t.Cleanup(func() {
		if err := env.StartControllers(); err != nil {
			t.Errorf("restart the shared controllers: %v", err)
		}
	})

	stop := startReporter(t, client, "before")
	for i := 0; i < restartJobs; i += restartJobs / 10 {
		if err := createReportedJobs(ctx, namespace, i, restartJobs/10); err != nil {
			t.Fatal(err)
		}
	}
	if err := waitForStatuses(ctx, gh, github.StatusPending, restartJobs); err != nil {
		t.Fatalf("pending statuses before the restart: %v", err)
	}
	stop()
	before := countStatuses(gh)

	// The restart: a new process's reporter, with nothing in memory.
	startReporter(t, client, "after")
	// Let the restarted controller see every job; then finish them all.
	if err := framework.Poll(ctx, 200*time.Millisecond, func(ctx context.Context) (bool, error) {
		list, err := env.Tekton.TektonV1().PipelineRuns(namespace).List(ctx, metav1.ListOptions{})
		return err == nil && len(list.Items) == restartJobs, err
	}); err != nil {
		t.Fatalf("PipelineRuns: %v", err)
	}
	if err := finishRuns(ctx, namespace); err != nil {
		t.Fatal(err)
	}
	if err := waitForStatuses(ctx, gh, github.StatusSuccess, restartJobs); err != nil {
		t.Fatalf("results after the restart: %v", err)
	}
	after := countStatuses(gh)
	t.Logf("statuses before the restart %v, after %v", before, after)
	if after[github.StatusPending] != restartJobs {
		t.Errorf("%d pending statuses posted in all, want %d: the restart re-posted %d", after[github.StatusPending], restartJobs, after[github.StatusPending]-restartJobs)
	}
	if after[github.StatusSuccess] != restartJobs {
		t.Errorf("%d success statuses, want one per job (%d)", after[github.StatusSuccess], restartJobs)
	}
	kube, err := kubernetes.NewForConfig(env.Cluster.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	// Jobs whose results are recorded leave the ledger, so it does not grow.
	var cm *corev1.ConfigMap
	if err := framework.Poll(ctx, 200*time.Millisecond, func(ctx context.Context) (bool, error) {
		cm, err = kube.CoreV1().ConfigMaps(namespace).Get(ctx, crier.LedgerConfigMap, metav1.GetOptions{})
		return err == nil && len(cm.BinaryData["pending"]) == 0, err
	}); err != nil {
		t.Errorf("the reporter's ledger still holds %d bytes of entries after every job finished: %v", len(cm.BinaryData["pending"]), err)
	}
	fmt.Printf("FIGURE restart-reports jobs=%d pending_posts_before=%d pending_posts_after_restart=%d final_posts=%d\n",
		restartJobs, before[github.StatusPending], after[github.StatusPending]-before[github.StatusPending], after[github.StatusSuccess])
}

// startReporter runs the controllers (the pipeline reconciler and the reporter) in-process
// and returns the function that stops them as a stopping process would.
func startReporter(t *testing.T, gh github.StatusCreator, id string) func() {
	t.Helper()
	return runControllers(t, id, controllermanager.Options{GitHub: gh, PipelineWorkers: 8, ReporterWorkers: 8})
}

// runControllers runs controllermanager.Run in-process as one controller replica named id,
// logging under that name when BOSUN_TEST_LOGS is set, and returns the function that stops
// it and checks that it stopped cleanly; the test's cleanup calls it too.
func runControllers(t *testing.T, id string, o controllermanager.Options) func() {
	t.Helper()
	return runControllersWithConfig(t, id, env.Cluster.RESTConfig(), o)
}

// runControllersWithConfig is runControllers reaching the apiserver with cfg.
func runControllersWithConfig(t *testing.T, id string, cfg *rest.Config, o controllermanager.Options) func() {
	t.Helper()
	logger := zap.NewNop().Sugar()
	if os.Getenv("BOSUN_TEST_LOGS") != "" {
		zl, _ := zap.NewDevelopment()
		logger = zl.Sugar().Named(id)
	}
	ctx, cancel := context.WithCancel(logging.WithLogger(context.Background(), logger))
	done := make(chan error, 1)
	go func() { done <- controllermanager.Run(ctx, cfg, o) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("%s: %v", id, err)
				}
			case <-time.After(20 * time.Second):
				t.Errorf("%s did not stop", id)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// createReportedJobs creates n reportable presubmits, from the first-th on, each on a
// commit of its own.
func createReportedJobs(ctx context.Context, namespace string, first, n int) error {
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := first; i < first+n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pj := &prowjobsv1.ProwJob{
				ObjectMeta: metav1.ObjectMeta{
					Name:      fmt.Sprintf("report-%04d", i),
					Namespace: namespace,
					Labels:    map[string]string{prowjobsv1.CreatedByProwLabel: "true", prowjobsv1.BuildIDLabel: fmt.Sprint(i + 1)},
				},
				Spec: prowjobsv1.ProwJobSpec{
					Type: prowjobsv1.PresubmitJob, Agent: prowjobsv1.TektonAgent, Namespace: namespace,
					Job: "unit", Context: "unit", Report: true,
					Refs: &prowjobsv1.Refs{
						Org: "acme", Repo: "widgets", BaseRef: "main", BaseSHA: strings.Repeat("b", 40),
						Pulls: []prowjobsv1.Pull{{Number: i + 1, Author: "alice", SHA: sha(i + 1)}},
					},
					PipelineRunSpec: &pipelinev1.PipelineRunSpec{PipelineRef: &pipelinev1.PipelineRef{Name: "unit"}},
				},
			}
			if _, err := env.ProwJobs.ProwV1().ProwJobs(namespace).Create(ctx, pj, metav1.CreateOptions{}); err != nil {
				errs <- fmt.Errorf("create ProwJob %s: %w", pj.Name, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// finishRuns ends every PipelineRun of the namespace as Tekton does when its tasks pass.
func finishRuns(ctx context.Context, namespace string) error {
	list, err := env.Tekton.TektonV1().PipelineRuns(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	errs := make(chan error, len(list.Items))
	for _, pr := range list.Items {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := env.SetPipelineRunCondition(ctx, namespace, pr.Name, corev1.ConditionTrue, framework.Succeeded, "All Tasks have completed executing"); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// countStatuses counts the statuses the emulator holds by state.
func countStatuses(gh *fakegithub.Server) map[string]int {
	out := map[string]int{}
	for i := 1; i <= restartJobs; i++ {
		for _, st := range gh.Statuses("acme", "widgets", sha(i)) {
			out[st.GetState()]++
		}
	}
	return out
}

// waitForStatuses waits until the emulator holds at least n statuses in state.
func waitForStatuses(ctx context.Context, gh *fakegithub.Server, state string, n int) error {
	got := 0
	err := framework.Poll(ctx, 200*time.Millisecond, func(context.Context) (bool, error) {
		got = countStatuses(gh)[state]
		return got >= n, nil
	})
	if err != nil {
		return fmt.Errorf("%d of %d %s statuses: %w", got, n, state, err)
	}
	return nil
}
