// Package framework assembles bosun's loop on a local control plane for the integration
// tests, the benchmark and the demo: a real etcd + kube-apiserver with the ProwJob and
// Tekton CRDs, the GitHub API emulator, bosun's controllers running in-process, and hook
// servers built per test with their own config.
package framework

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	pipelineclientset "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	"go.uber.org/zap"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
	"knative.dev/pkg/logging"

	prowjobclientset "github.com/bosun-ci/bosun/pkg/client/clientset/versioned"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/controllermanager"
	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/pkg/hook"
	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/test/fakegithub"
	"github.com/bosun-ci/bosun/test/localcluster"

	// Every plugin, the list cmd/hook links too.
	_ "github.com/bosun-ci/bosun/pkg/plugins/all"
)

// RequireClusterEnv, when set, turns a missing control plane into a failure instead of a
// skip, so CI cannot pass by skipping.
const RequireClusterEnv = "BOSUN_REQUIRE_CLUSTER"

// Env is a running loop minus the hook.
type Env struct {
	Cluster  *localcluster.Cluster
	GitHub   *fakegithub.Server
	ProwJobs prowjobclientset.Interface
	Tekton   pipelineclientset.Interface

	stopControllers context.CancelFunc
	controllersDone chan error
	// logger is the controllers' logger.
	logger *zap.SugaredLogger
}

// Options tune Start.
type Options struct {
	// Logf receives progress messages.
	Logf func(format string, args ...any)
	// Logger is the controllers' logger; nil discards their logs.
	Logger *zap.SugaredLogger
	// WorkDir keeps the control plane's files (logs) there instead of a temporary directory.
	WorkDir string
	// NoControllers starts only the control plane and the emulator.
	NoControllers bool
	// Node makes the cluster a real one-node cluster with Tekton's own controller: pods run
	// and PipelineRuns finish by themselves (needs root and hack/build-node.sh).
	Node bool
}

// ErrNoControlPlane is returned (wrapped) when etcd or kube-apiserver are not built.
var ErrNoControlPlane = localcluster.ErrBinariesMissing

// ErrNoNode is returned (wrapped) when Options.Node is set and this machine cannot run a node.
var ErrNoNode = localcluster.ErrNodeUnavailable

// Start brings up the control plane with the CRDs, the GitHub emulator and the controllers.
func Start(ctx context.Context, o Options) (_ *Env, err error) {
	root, err := localcluster.RepoRoot()
	if err != nil {
		return nil, err
	}
	tektonCRDs, err := localcluster.TektonCRDDir()
	if err != nil {
		return nil, err
	}
	cluster, err := localcluster.Start(ctx, localcluster.Options{
		WorkDir:  o.WorkDir,
		CRDPaths: []string{filepath.Join(root, "config", "crd"), tektonCRDs},
		Logf:     o.Logf,
	})
	if err != nil {
		return nil, err
	}
	env := &Env{Cluster: cluster, GitHub: fakegithub.New()}
	defer func() {
		if err != nil {
			env.Stop()
		}
	}()
	if o.Node {
		if err := cluster.StartNode(ctx, o.Logf); err != nil {
			return nil, err
		}
		if err := cluster.StartTekton(ctx, o.Logf); err != nil {
			return nil, err
		}
	}
	cfg := cluster.RESTConfig()
	if env.ProwJobs, err = prowjobclientset.NewForConfig(cfg); err != nil {
		return nil, err
	}
	if env.Tekton, err = pipelineclientset.NewForConfig(cfg); err != nil {
		return nil, err
	}
	if o.NoControllers {
		return env, nil
	}

	env.logger = o.Logger
	if env.logger == nil {
		env.logger = zap.NewNop().Sugar()
	}
	if err := env.StartControllers(); err != nil {
		return nil, err
	}
	return env, nil
}

// StartControllers runs bosun's controllers against the control plane, as Start does unless
// told NoControllers; it does nothing if they run already. A test that runs controllers of
// its own on the shared control plane (several replicas, a config of its own) stops these
// with StopControllers for its duration, so that no third controller acts on its jobs, and
// starts them again after.
func (e *Env) StartControllers() error {
	if e.stopControllers != nil {
		return nil
	}
	gh, err := github.NewClient(github.Options{BaseURL: e.GitHub.URL()})
	if err != nil {
		return err
	}
	logger := e.logger
	if logger == nil {
		logger = zap.NewNop().Sugar()
	}
	ctrlCtx, cancel := context.WithCancel(logging.WithLogger(context.Background(), logger))
	e.stopControllers = cancel
	done := make(chan error, 1)
	e.controllersDone = done
	cfg := e.Cluster.RESTConfig()
	go func() {
		done <- controllermanager.Run(ctrlCtx, cfg, controllermanager.Options{
			GitHub: gh, PipelineWorkers: 8, ReporterWorkers: 8,
		})
	}()
	return nil
}

// StopControllers stops the controllers StartControllers runs, and waits (a while) for them
// to return.
func (e *Env) StopControllers() {
	if e.stopControllers == nil {
		return
	}
	e.stopControllers()
	select {
	case <-e.controllersDone:
	case <-time.After(10 * time.Second):
	}
	e.stopControllers = nil
}

// Stop stops the controllers, the emulator and the control plane.
func (e *Env) Stop() {
	e.StopControllers()
	if e.GitHub != nil {
		e.GitHub.Close()
	}
	if e.Cluster != nil {
		_ = e.Cluster.Stop()
	}
}

// Hook is a webhook server with its own config, as one bosun deployment would run it.
type Hook struct {
	*httptest.Server
	Secret []byte
}

// HookOption changes the options of the hook's GitHub client, which start as the emulator's
// base URL and nothing else: a token to tell the hook's calls from the controllers', say, or
// DisableCache.
type HookOption func(*github.Options)

// NewHook serves bosun's hook for cfg and pluginCfg, creating ProwJobs in
// cfg.ProwJobNamespace through the given REST client and talking to the emulator.
func (e *Env) NewHook(cfg *config.Config, pluginCfg *plugins.Configuration, prowJobs prowjobclientset.Interface, logger *zap.SugaredLogger, opts ...HookOption) (*Hook, error) {
	ghOpts := github.Options{BaseURL: e.GitHub.URL()}
	for _, o := range opts {
		o(&ghOpts)
	}
	gh, err := github.NewClient(ghOpts)
	if err != nil {
		return nil, err
	}
	secret := []byte("integration-secret")
	srv := hook.NewServer(hook.Options{
		Secret:       func() []byte { return secret },
		Config:       func() *config.Config { return cfg },
		PluginConfig: func() *plugins.Configuration { return pluginCfg },
		GitHub:       gh,
		ProwJobs:     prowJobs.ProwV1().ProwJobs(cfg.ProwJobNamespace),
		Logger:       logger,
	})
	return &Hook{Server: httptest.NewServer(srv), Secret: secret}, nil
}

// SetPipelineRunCondition sets a PipelineRun's Succeeded condition through the status
// subresource, the way Tekton's controller reports progress and results. It is how the
// tests stand in for Tekton where no Tekton controller runs.
func (e *Env) SetPipelineRunCondition(ctx context.Context, namespace, name string, status corev1.ConditionStatus, reason, message string) error {
	runs := e.Tekton.TektonV1().PipelineRuns(namespace)
	pr, err := runs.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get PipelineRun %s/%s: %w", namespace, name, err)
	}
	now := metav1.Now()
	if pr.Status.StartTime == nil {
		pr.Status.StartTime = &now
	}
	if status != corev1.ConditionUnknown {
		pr.Status.CompletionTime = &now
	}
	pr.Status.SetCondition(&apis.Condition{
		Type:    apis.ConditionSucceeded,
		Status:  status,
		Reason:  reason,
		Message: message,
	})
	if _, err := runs.UpdateStatus(ctx, pr, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update PipelineRun %s/%s status: %w", namespace, name, err)
	}
	return nil
}

// Succeeded and Failed are the reasons Tekton sets on finished PipelineRuns.
var (
	Succeeded = pipelinev1.PipelineRunReasonSuccessful.String()
	Failed    = pipelinev1.PipelineRunReasonFailed.String()
)

// Poll calls cond every interval until it returns true, an error, or ctx ends.
func Poll(ctx context.Context, interval time.Duration, cond func(context.Context) (bool, error)) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		ok, err := cond(ctx)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("condition not met: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// ClusterRequired reports whether a missing control plane must fail rather than skip.
func ClusterRequired() bool { return os.Getenv(RequireClusterEnv) != "" }

// IsNoControlPlane reports whether err says the control-plane binaries are missing.
func IsNoControlPlane(err error) bool { return errors.Is(err, ErrNoControlPlane) }

// NodeRequired tells whether tests needing a real node must fail rather than skip.
func NodeRequired() bool { return os.Getenv(localcluster.RequireNodeEnv) != "" }

// IsNoNode tells whether err says this machine cannot run a node (or has no control plane).
func IsNoNode(err error) bool { return errors.Is(err, ErrNoNode) || errors.Is(err, ErrNoControlPlane) }
