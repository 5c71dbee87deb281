/*
Copyright 2026 The bosun Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Package buildcluster holds the clusters the controller runs PipelineRuns in, as Prow's build
// clusters: the controller's own and one per context of the kubeconfigs it is given, each
// with its clients and its PipelineRun informers, one per job namespace (or one over every
// namespace when none are set). A job names its cluster in spec.cluster; the reconciler finds
// it through the narrow Clusters interface and never sees a kubeconfig.
//
// A cluster that cannot be reached at start does not stop the others or the controller: its
// informers keep retrying in the background (client-go's reflector backs off up to 30 s),
// errors its apiserver answers with (forbidden, say) are logged as they come, a cluster
// that does not answer at all is logged about every minute until it has synced, and until
// then Client.HasSynced says so, so that the reconciler leaves its jobs waiting instead of
// sending requests that hang; once it syncs, the OnSynced callbacks bring those jobs back.
package buildcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	pipelineclientset "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	tektonv1client "github.com/tektoncd/pipeline/pkg/client/clientset/versioned/typed/pipeline/v1"
	"github.com/tektoncd/pipeline/pkg/client/informers/externalversions"
	pipelinelisters "github.com/tektoncd/pipeline/pkg/client/listers/pipeline/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"knative.dev/pkg/logging"
)

// DefaultRequestTimeout bounds each request to a remote build cluster (watches excepted), so
// that a cluster that stops answering holds a reconcile worker for at most this long.
const DefaultRequestTimeout = 30 * time.Second

// syncPoll is how often a cluster's informers are checked for their first sync.
const syncPoll = 20 * time.Millisecond

// notSyncedLogInterval is how often a cluster that has not synced yet is logged about.
const notSyncedLogInterval = time.Minute

// Clusters finds the build cluster a job names.
type Clusters interface {
	// Cluster returns the cluster of that name; "" means DefaultCluster. A name that is not
	// configured is an *UnknownClusterError.
	Cluster(name string) (Client, error)
}

// Client is one build cluster's PipelineRuns, as the reconciler uses them.
type Client interface {
	// Name is the cluster's name.
	Name() string
	// Local reports whether this is the controller's own cluster, the only one where a
	// PipelineRun can have its ProwJob as owner.
	Local() bool
	// HasSynced reports whether the cluster's informers have listed its PipelineRuns at
	// least once. Until then the cluster may be unreachable and its listers know nothing.
	HasSynced() bool
	// PipelineRuns returns the cluster's PipelineRuns of one namespace. A namespace that is
	// not one of the job namespaces is a *NamespaceError.
	PipelineRuns(namespace string) (PipelineRuns, error)
}

// PipelineRuns are one namespace's PipelineRuns in one build cluster.
type PipelineRuns struct {
	// Lister reads them from the cluster's informer.
	Lister pipelinelisters.PipelineRunNamespaceLister
	// Client reaches the cluster's apiserver: get, create, patch, delete.
	Client tektonv1client.PipelineRunInterface
}

// UnknownClusterError is a job naming a cluster that is not configured.
type UnknownClusterError struct {
	Name  string
	Known []string
}

func (e *UnknownClusterError) Error() string {
	return fmt.Sprintf("build cluster %q is not configured (known: %s)", e.Name, strings.Join(e.Known, ", "))
}

// NamespaceError is a job whose PipelineRun would go to a namespace the controller does not
// run jobs in.
type NamespaceError struct {
	Namespace string
	// Watched are the job namespaces.
	Watched []string
}

func (e *NamespaceError) Error() string {
	if e.Namespace == "" {
		return "the job names no namespace for its PipelineRun"
	}
	return fmt.Sprintf("namespace %q is not one bosun runs jobs in (--job-namespaces=%s)", e.Namespace, strings.Join(e.Watched, ","))
}

// Options tune a Set.
type Options struct {
	// Namespaces are the job namespaces: where PipelineRuns may be created and are watched,
	// in every cluster. Empty means every namespace, one cluster-wide informer per cluster.
	Namespaces []string
	// ResyncPeriod is the informers' resync period; zero means none.
	ResyncPeriod time.Duration
	// RequestTimeout bounds each request to a remote cluster whose kubeconfig sets no
	// timeout; zero means DefaultRequestTimeout. The local cluster's requests are left as
	// its config has them.
	RequestTimeout time.Duration
}

// Set is every build cluster. Build it with New, register handlers and callbacks, then
// Start it.
type Set struct {
	clusters   map[string]*Cluster
	names      []string
	namespaces []string

	mu       sync.Mutex
	onSynced []func(cluster string)
	started  bool
}

var _ Clusters = (*Set)(nil)

// New builds the clients and informers of every cluster in configs; it makes no request.
func New(configs []Config, o Options) (*Set, error) {
	if len(configs) == 0 {
		return nil, errors.New("no build clusters")
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	namespaces := slices.Clone(o.Namespaces)
	slices.Sort(namespaces)
	namespaces = slices.Compact(namespaces)
	if slices.Contains(namespaces, "") {
		return nil, errors.New("empty job namespace")
	}
	s := &Set{clusters: map[string]*Cluster{}, namespaces: namespaces}
	for _, c := range configs {
		if _, ok := s.clusters[c.Name]; ok {
			return nil, fmt.Errorf("build cluster %q given twice", c.Name)
		}
		cl, err := newCluster(c, namespaces, o)
		if err != nil {
			return nil, err
		}
		s.clusters[c.Name] = cl
		s.names = append(s.names, c.Name)
	}
	slices.Sort(s.names)
	return s, nil
}

// Cluster returns the named cluster.
func (s *Set) Cluster(name string) (Client, error) {
	if cl, ok := s.clusters[NameOf(name)]; ok {
		return cl, nil
	}
	return nil, &UnknownClusterError{Name: name, Known: slices.Clone(s.names)}
}

// All returns every cluster, sorted by name.
func (s *Set) All() []*Cluster {
	out := make([]*Cluster, 0, len(s.names))
	for _, name := range s.names {
		out = append(out, s.clusters[name])
	}
	return out
}

// Namespaces returns the job namespaces, sorted; empty means every namespace.
func (s *Set) Namespaces() []string { return slices.Clone(s.namespaces) }

// AddEventHandler registers h with every PipelineRun informer of every cluster. Call it
// before Start, so that h sees every run from the first list on.
func (s *Set) AddEventHandler(h cache.ResourceEventHandler) error {
	for _, name := range s.names {
		for _, inf := range s.clusters[name].informers {
			if _, err := inf.informer.AddEventHandler(h); err != nil {
				return fmt.Errorf("build cluster %q: %w", name, err)
			}
		}
	}
	return nil
}

// OnSynced registers f to be called with a cluster's name once its informers have synced,
// from the goroutine that waited for them. Call it before Start.
func (s *Set) OnSynced(f func(cluster string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onSynced = append(s.onSynced, f)
}

// Start starts every cluster's informers and returns at once; they run until ctx is done.
// Each cluster syncs on its own, logging while it cannot, and then calls the OnSynced
// callbacks. Stopped reports when everything Start started has returned.
func (s *Set) Start(ctx context.Context) (stopped <-chan struct{}) {
	s.mu.Lock()
	callbacks := slices.Clone(s.onSynced)
	s.started = true
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, name := range s.names {
		cl := s.clusters[name]
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl.run(ctx, callbacks)
		}()
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	return done
}

// WaitForSync waits until every cluster has synced, ctx ends or timeout passes, and returns
// the names of the clusters that have not synced, sorted.
func (s *Set) WaitForSync(ctx context.Context, timeout time.Duration) []string {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := time.NewTicker(syncPoll)
	defer t.Stop()
	for {
		var pending []string
		for _, name := range s.names {
			if !s.clusters[name].HasSynced() {
				pending = append(pending, name)
			}
		}
		if len(pending) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return pending
		case <-t.C:
		}
	}
}

// Ready returns nil once every informer of every cluster has synced, else an error naming
// what has not; for readiness probes.
func (s *Set) Ready() error {
	s.mu.Lock()
	started := s.started
	s.mu.Unlock()
	if !started {
		return errors.New("build cluster informers not started")
	}
	var pending []string
	for _, name := range s.names {
		for _, inf := range s.clusters[name].informers {
			if !inf.informer.HasSynced() {
				pending = append(pending, name+"/"+namespaceLabel(inf.namespace))
			}
		}
	}
	if len(pending) > 0 {
		return fmt.Errorf("PipelineRun informers not synced: %s", strings.Join(pending, ", "))
	}
	return nil
}

func namespaceLabel(namespace string) string {
	if namespace == metav1.NamespaceAll {
		return "*"
	}
	return namespace
}

// Cluster is one build cluster: its clients and its PipelineRun informers.
type Cluster struct {
	name  string
	local bool
	// tekton makes the requests; watches go through the informers' own client, which has no
	// request timeout.
	tekton pipelineclientset.Interface
	// namespaces are the job namespaces; empty means every namespace.
	namespaces []string
	factories  []externalversions.SharedInformerFactory
	// informers are one per job namespace, or one for metav1.NamespaceAll.
	informers []namespaceInformer
}

var _ Client = (*Cluster)(nil)

type namespaceInformer struct {
	namespace string
	informer  cache.SharedIndexInformer
	lister    pipelinelisters.PipelineRunLister
}

func newCluster(c Config, namespaces []string, o Options) (*Cluster, error) {
	if c.REST == nil {
		return nil, fmt.Errorf("build cluster %q has no REST config", c.Name)
	}
	watchCfg := rest.CopyConfig(c.REST)
	requestCfg := rest.CopyConfig(c.REST)
	if !c.Local && requestCfg.Timeout == 0 {
		requestCfg.Timeout = o.RequestTimeout
	}
	// An informer's list and watch outlive any request timeout: the reflector bounds them.
	watchCfg.Timeout = 0
	watchClient, err := pipelineclientset.NewForConfig(watchCfg)
	if err != nil {
		return nil, fmt.Errorf("build cluster %q: %w", c.Name, err)
	}
	requestClient, err := pipelineclientset.NewForConfig(requestCfg)
	if err != nil {
		return nil, fmt.Errorf("build cluster %q: %w", c.Name, err)
	}
	cl := &Cluster{name: c.Name, local: c.Local, tekton: requestClient, namespaces: namespaces}
	scopes := namespaces
	if len(scopes) == 0 {
		scopes = []string{metav1.NamespaceAll}
	}
	for _, ns := range scopes {
		f := externalversions.NewSharedInformerFactoryWithOptions(watchClient, o.ResyncPeriod, externalversions.WithNamespace(ns))
		runs := f.Tekton().V1().PipelineRuns()
		cl.factories = append(cl.factories, f)
		cl.informers = append(cl.informers, namespaceInformer{namespace: ns, informer: runs.Informer(), lister: runs.Lister()})
	}
	return cl, nil
}

// Name is the cluster's name.
func (c *Cluster) Name() string { return c.name }

// Local reports whether this is the controller's own cluster.
func (c *Cluster) Local() bool { return c.local }

// Namespaces returns the namespaces the cluster's PipelineRuns are watched in; empty means
// every namespace.
func (c *Cluster) Namespaces() []string { return slices.Clone(c.namespaces) }

// Tekton is the cluster's clientset for requests (not watches); for the sinker.
func (c *Cluster) Tekton() pipelineclientset.Interface { return c.tekton }

// HasSynced reports whether every informer of the cluster has synced.
func (c *Cluster) HasSynced() bool {
	for _, inf := range c.informers {
		if !inf.informer.HasSynced() {
			return false
		}
	}
	return true
}

// PipelineRuns returns the cluster's PipelineRuns of one job namespace.
func (c *Cluster) PipelineRuns(namespace string) (PipelineRuns, error) {
	if namespace == "" {
		return PipelineRuns{}, &NamespaceError{Watched: slices.Clone(c.namespaces)}
	}
	for _, inf := range c.informers {
		if inf.namespace == metav1.NamespaceAll || inf.namespace == namespace {
			return PipelineRuns{Lister: inf.lister.PipelineRuns(namespace), Client: c.tekton.TektonV1().PipelineRuns(namespace)}, nil
		}
	}
	return PipelineRuns{}, &NamespaceError{Namespace: namespace, Watched: slices.Clone(c.namespaces)}
}

// run starts the cluster's informers, waits for them to sync, logging every
// notSyncedLogInterval while they have not, calls callbacks, and returns once ctx is done
// and the informers stopped.
func (c *Cluster) run(ctx context.Context, callbacks []func(string)) {
	logger := logging.FromContext(ctx).With("cluster", c.name)
	for _, inf := range c.informers {
		ns := namespaceLabel(inf.namespace)
		// Before the start, as client-go requires. The reflector retries with backoff
		// after each error; this only says so in the controller's log. (A watch-list that
		// cannot connect is retried inside the reflector without reaching this handler:
		// run's own "not synced yet" covers that.)
		_ = inf.informer.SetWatchErrorHandler(func(_ *cache.Reflector, err error) {
			if errors.Is(err, io.EOF) || apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
				logger.Debugw("PipelineRun watch ended; restarting it", "namespace", ns, "error", err)
				return
			}
			logger.Warnw("Cannot list or watch PipelineRuns in a build cluster; retrying", "namespace", ns, "error", err)
		})
	}
	for _, f := range c.factories {
		f.Start(ctx.Done())
	}
	defer func() {
		for _, f := range c.factories {
			f.Shutdown()
		}
	}()
	began := time.Now()
	t := time.NewTicker(syncPoll)
	defer t.Stop()
	nextLog := began.Add(notSyncedLogInterval)
	for !c.HasSynced() {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if now.After(nextLog) {
				logger.Warnw("Build cluster not synced yet: its jobs wait", "waited", now.Sub(began).Round(time.Second))
				nextLog = now.Add(notSyncedLogInterval)
			}
		}
	}
	logger.Infow("Build cluster synced", "namespaces", len(c.informers), "after", time.Since(began).Round(time.Millisecond))
	for _, f := range callbacks {
		f(c.name)
	}
	<-ctx.Done()
}
