package controllermanager

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"
	kubeclient "knative.dev/pkg/client/injection/kube/client"
	"knative.dev/pkg/controller"
	"knative.dev/pkg/logging"
)

// eventRecorders hands each reconciler a recorder of one event broadcaster that stops with
// ctx. Left alone, each generated reconciler builds its own broadcaster and, when ctx ends,
// stops only the broadcaster's watches: client-go's watcher goroutines then spin on the
// closed channels for the rest of the process, a core each. A process that stops managers
// and goes on (the HA test kills replicas; the integration suites start and stop them)
// would crawl.
type eventRecorders struct {
	broadcaster record.EventBroadcaster
}

func newEventRecorders(ctx context.Context) *eventRecorders {
	b := record.NewBroadcaster(record.WithContext(ctx))
	b.StartLogging(logging.FromContext(ctx).Named("event-broadcaster").Infof)
	b.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: kubeclient.Get(ctx).CoreV1().Events("")})
	return &eventRecorders{broadcaster: b}
}

// withRecorder returns ctx carrying a recorder whose events come from component, the name
// the generated reconciler would have given its own.
func (e *eventRecorders) withRecorder(ctx context.Context, component string) context.Context {
	return controller.WithEventRecorder(ctx, e.broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: component}))
}
