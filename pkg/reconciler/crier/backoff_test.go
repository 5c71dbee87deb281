package crier

import (
	"fmt"
	"testing"

	"go.uber.org/zap/zaptest"
	"k8s.io/apimachinery/pkg/types"
	"knative.dev/pkg/controller"
	"knative.dev/pkg/logging"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	prowjobfake "github.com/bosun-ci/bosun/pkg/client/clientset/versioned/fake"
)

func TestASuccessWakesTheReportsWaitingOutABackoff(t *testing.T) {
	// When GitHub answers again, the reports waiting out delays of up to 30 s go now, not
	// each at the end of its own delay.
	ctx := logging.WithLogger(t.Context(), zaptest.NewLogger(t).Sugar())
	gh := &recordingGitHub{err: fmt.Errorf("POST statuses: 500 Internal Server Error")}
	var woken []types.NamespacedName
	r := &Reconciler{github: gh, prowJobClient: prowjobfake.NewSimpleClientset(), wake: func(k types.NamespacedName) { woken = append(woken, k) }}
	jobs := make([]*prowjobsv1.ProwJob, 3)
	for i := range jobs {
		jobs[i] = makeJob(t, prowjobsv1.PendingState, func(pj *prowjobsv1.ProwJob) {
			pj.Name, pj.UID = fmt.Sprintf("job-%d", i), uid(i)
		})
		for range 5 { // deep into the backoff
			if ok, _ := controller.IsRequeueKey(r.ReconcileKind(ctx, jobs[i].DeepCopy())); !ok {
				t.Fatalf("job %d: a failed report is not requeued", i)
			}
		}
	}
	gh.err = nil
	if err := r.ReconcileKind(ctx, jobs[0].DeepCopy()); err != nil {
		t.Fatalf("ReconcileKind() = %v", err)
	}
	if len(woken) != 2 {
		t.Fatalf("woken %v, want the two other jobs", woken)
	}
	for _, k := range woken {
		if k.Namespace != prowNS || (k.Name != "job-1" && k.Name != "job-2") {
			t.Errorf("woke %v, want prow/job-1 and prow/job-2", k)
		}
	}
	// They start over: their next failure waits a second, not 30.
	if d := r.retries.next(uid(1), woken[0]); d > defaultRetryBase {
		t.Errorf("delay after a wake-up = %s, want at most %s", d, defaultRetryBase)
	}
}
