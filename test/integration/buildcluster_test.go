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

package integration

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	pipelineclientset "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	"go.uber.org/zap/zaptest"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"knative.dev/pkg/logging"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	prowjobclientset "github.com/bosun-ci/bosun/pkg/client/clientset/versioned"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/controllermanager"
	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/pkg/sinker"
	"github.com/bosun-ci/bosun/test/framework"
	"github.com/bosun-ci/bosun/test/localcluster"
)

const (
	// buildClusterName is the second apiserver's context in the controller's kubeconfig;
	// downClusterName is a context whose apiserver does not exist.
	buildClusterName = "build01"
	downClusterName  = "build-down"
	// controllerSA is the ServiceAccount the controller runs as, in the ProwJob namespace.
	controllerSA = "bosun-controller"
	// buildClusterWait bounds the whole test: it starts a second apiserver; stepWait
	// bounds each step.
	buildClusterWait = 4 * time.Minute
	stepWait         = time.Minute
)

// TestBuildClustersWithNamespacedRoles runs the controller as Prow runs with build clusters,
// and with least privilege: as a ServiceAccount that only namespaced Roles grant anything
// to, in the ProwJob namespace (ProwJobs, their status, ConfigMaps, Events, Leases) and in
// the one job namespace (PipelineRuns) of each of two real apiservers, the shared one and a
// second one started here as build cluster build01. A third build cluster's apiserver does
// not exist. The controller runs with --prowjob-namespace, --job-namespaces, leader election,
// the reporter and the loops, so every request it makes goes through those Roles: a
// cluster-wide list would be forbidden, and its informers would never sync.
//
// No Tekton controller runs on either apiserver: the test sets the remote run's condition.
func TestBuildClustersWithNamespacedRoles(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), buildClusterWait)
	defer cancel()
	n := namespaceSeq.Add(1)
	ns := fmt.Sprintf("it-%d", n)
	elsewhere := ns + "-elsewhere"

	build := startBuildCluster(ctx, t)
	for _, c := range []*localcluster.Cluster{env.Cluster, build} {
		for _, name := range []string{ns, elsewhere} {
			if err := c.CreateNamespace(ctx, name); err != nil {
				t.Fatal(err)
			}
		}
	}
	grantControllerRoles(ctx, t, env.Cluster, ns, true)
	grantControllerRoles(ctx, t, build, ns, false)
	as := controllerUser(ns)

	local := impersonating(env.Cluster.RESTConfig(), as)
	checkForbiddenClusterWide(ctx, t, local)
	remoteAdmin, err := pipelineclientset.NewForConfig(build.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	kubeconfigs := t.TempDir()
	buildKubeconfig := writeBuildClusterKubeconfig(t, filepath.Join(kubeconfigs, "build01.yaml"), build, buildClusterName, as)
	downKubeconfig := writeUnreachableKubeconfig(t, filepath.Join(kubeconfigs, "down.yaml"), downClusterName)

	gh, err := github.NewClient(github.Options{BaseURL: env.GitHub.URL()})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadBytes("config.yaml", []byte(fmt.Sprintf("prowjob_namespace: %[1]s\npod_namespace: %[1]s\n", ns)))
	if err != nil {
		t.Fatal(err)
	}
	env.StopControllers()
	t.Cleanup(func() {
		if err := env.StartControllers(); err != nil {
			t.Errorf("restart the shared controllers: %v", err)
		}
	})
	probesAddr := freeAddr(t)
	opts := controllermanager.Options{
		GitHub: gh, PipelineWorkers: 4, ReporterWorkers: 4,
		Config:                  func() *config.Config { return cfg },
		ProwJobNamespace:        ns,
		JobNamespaces:           []string{ns},
		BuildClusterKubeconfigs: []string{buildKubeconfig, downKubeconfig},
		ClusterSyncGrace:        time.Second,
		ProbesAddr:              probesAddr,
		LeaderElection:          &controllermanager.LeaderElectionOptions{Namespace: ns, Identity: "restricted", Buckets: 1},
	}
	stop := runControllersWithConfig(t, "restricted", local, opts)

	jobs := newBuildClusterJobs(ctx, t, ns)
	remote := jobs.create(buildClusterName, ns, 1)
	aborted := jobs.create(buildClusterName, ns, 2)
	home := jobs.create("", ns, 3)
	unknown := jobs.create("build02", ns, 4)
	outside := jobs.create(buildClusterName, elsewhere, 5)
	down := jobs.create(downClusterName, ns, 6)

	t.Run("a job naming a build cluster gets its run there, and the run's status back", func(t *testing.T) {
		ctx := stepContext(ctx, t)
		run := waitForRun(ctx, t, remoteAdmin, ns, remote.Name)
		if len(run.OwnerReferences) != 0 {
			t.Errorf("remote run owner references %v: the ProwJob does not exist there", run.OwnerReferences)
		}
		if run.Labels[prowjobsv1.ProwJobIDLabel] != remote.Name || run.Annotations[prowjobsv1.ProwJobNamespaceAnnotation] != ns {
			t.Errorf("remote run labels %v annotations %v: the controller cannot map it back to its job", run.Labels, run.Annotations)
		}
		if _, err := env.Tekton.TektonV1().PipelineRuns(ns).Get(ctx, remote.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("the remote job's run on the controller's own apiserver: %v, want none", err)
		}
		waitForJobState(ctx, t, ns, remote.Name, prowjobsv1.PendingState)
		remoteEnv := &framework.Env{Tekton: remoteAdmin}
		if err := remoteEnv.SetPipelineRunCondition(ctx, ns, remote.Name, corev1.ConditionTrue, framework.Succeeded, "Tasks Completed: 1 (Failed: 0, Cancelled 0), Skipped: 0"); err != nil {
			t.Fatal(err)
		}
		done := waitForJobState(ctx, t, ns, remote.Name, prowjobsv1.SuccessState)
		if done.Status.Description != "Tasks Completed: 1 (Failed: 0, Cancelled 0), Skipped: 0" || done.Status.CompletionTime == nil {
			t.Errorf("status %+v, want the remote run's message and a completion time", done.Status)
		}
		waitForGitHubStatus(ctx, t, remote, "success")
	})

	t.Run("aborting a job cancels its remote run", func(t *testing.T) {
		ctx := stepContext(ctx, t)
		waitForRun(ctx, t, remoteAdmin, ns, aborted.Name)
		waitForJobState(ctx, t, ns, aborted.Name, prowjobsv1.PendingState)
		pj, err := env.ProwJobs.ProwV1().ProwJobs(ns).Get(ctx, aborted.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pj.Status.MarkAborted("Aborted by trigger plugin.", metav1.Now())
		if _, err := env.ProwJobs.ProwV1().ProwJobs(ns).UpdateStatus(ctx, pj, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := framework.Poll(ctx, pollInterval, func(ctx context.Context) (bool, error) {
			pr, err := remoteAdmin.TektonV1().PipelineRuns(ns).Get(ctx, aborted.Name, metav1.GetOptions{})
			return err == nil && pr.Spec.Status == pipelinev1.PipelineRunSpecStatusCancelledRunFinally, err
		}); err != nil {
			t.Fatalf("the remote run was not cancelled: %v", err)
		}
	})

	t.Run("a job naming no cluster runs in the controller's own, owned by its job", func(t *testing.T) {
		ctx := stepContext(ctx, t)
		run := waitForRun(ctx, t, env.Tekton, ns, home.Name)
		if len(run.OwnerReferences) != 1 || run.OwnerReferences[0].UID != home.UID {
			t.Errorf("local run owner references %v, want its ProwJob", run.OwnerReferences)
		}
		if _, err := remoteAdmin.TektonV1().PipelineRuns(ns).Get(ctx, home.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("the local job's run on the build cluster: %v, want none", err)
		}
	})

	t.Run("a job naming an unknown cluster ends in error, nothing created", func(t *testing.T) {
		ctx := stepContext(ctx, t)
		pj := waitForJobState(ctx, t, ns, unknown.Name, prowjobsv1.ErrorState)
		want := `start pipeline: build cluster "build02" is not configured (known: build-down, build01, default)`
		if pj.Status.Description != want {
			t.Errorf("description %q, want %q", pj.Status.Description, want)
		}
		checkNoRun(ctx, t, remoteAdmin, ns, unknown.Name)
		waitForGitHubStatus(ctx, t, unknown, "error")
	})

	t.Run("a job for a namespace that is not a job namespace ends in error, nothing created", func(t *testing.T) {
		ctx := stepContext(ctx, t)
		pj := waitForJobState(ctx, t, ns, outside.Name, prowjobsv1.ErrorState)
		want := fmt.Sprintf(`start pipeline: namespace %q is not one bosun runs jobs in (--job-namespaces=%s)`, elsewhere, ns)
		if pj.Status.Description != want {
			t.Errorf("description %q, want %q", pj.Status.Description, want)
		}
		checkNoRun(ctx, t, remoteAdmin, elsewhere, outside.Name)
	})

	t.Run("an unreachable cluster holds back only its own jobs, and readiness", func(t *testing.T) {
		ctx := stepContext(ctx, t)
		// By now every other job has been reconciled; this one is still waiting.
		pj, err := env.ProwJobs.ProwV1().ProwJobs(ns).Get(ctx, down.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if pj.Status.State != prowjobsv1.TriggeredState && pj.Status.State != "" {
			t.Errorf("the unreachable cluster's job is %s (%s), want it waiting in triggered", pj.Status.State, pj.Status.Description)
		}
		code, body := getURL(ctx, t, "http://"+probesAddr+"/readyz")
		if code != http.StatusServiceUnavailable || !strings.Contains(body, downClusterName+"/"+ns) {
			t.Errorf("/readyz = %d %q, want 503 naming %s/%s", code, body, downClusterName, ns)
		}
		if code, _ := getURL(ctx, t, "http://"+probesAddr+"/healthz"); code != http.StatusOK {
			t.Errorf("/healthz = %d, want 200", code)
		}
	})

	t.Run("the sinker deletes a remote run in its cluster, with its job", func(t *testing.T) {
		ctx := stepContext(ctx, t)
		// Clean is run directly, as the controller's Role lets it, an hour in the future.
		restricted := restrictedSinkerClients(t, local, build, as, ns)
		old, err := config.LoadBytes("config.yaml", []byte(fmt.Sprintf("prowjob_namespace: %s\nsinker: {max_prowjob_age: 1m}\n", ns)))
		if err != nil {
			t.Fatal(err)
		}
		sinkerCtx := logging.WithLogger(ctx, zaptest.NewLogger(t).Sugar())
		report, err := sinker.Clean(sinkerCtx, time.Now().Add(time.Hour), old, restricted)
		if err != nil {
			t.Fatalf("Clean: %v", err)
		}
		if !containsKey(report.ProwJobs, ns, remote.Name) || !containsKey(report.PipelineRuns, ns, remote.Name) {
			t.Errorf("report %+v, want the remote job and its run", report)
		}
		checkNoRun(ctx, t, remoteAdmin, ns, remote.Name)
		if _, err := env.ProwJobs.ProwV1().ProwJobs(ns).Get(ctx, down.Name, metav1.GetOptions{}); err != nil {
			t.Errorf("the waiting job: %v, want it kept", err)
		}
	})

	t.Run("restarted without the unreachable cluster: ready, and its job is of an unknown cluster", func(t *testing.T) {
		ctx := stepContext(ctx, t)
		stop()
		opts.BuildClusterKubeconfigs = []string{buildKubeconfig}
		runControllersWithConfig(t, "restricted-again", local, opts)
		if err := framework.Poll(ctx, pollInterval, func(ctx context.Context) (bool, error) {
			code, _ := getURL(ctx, t, "http://"+probesAddr+"/readyz")
			return code == http.StatusOK, nil
		}); err != nil {
			_, body := getURL(ctx, t, "http://"+probesAddr+"/readyz")
			t.Errorf("/readyz never passed (last %q): %v", body, err)
		}
		pj := waitForJobState(ctx, t, ns, down.Name, prowjobsv1.ErrorState)
		if !strings.Contains(pj.Status.Description, `build cluster "build-down" is not configured (known: build01, default)`) {
			t.Errorf("description %q, want the unknown cluster", pj.Status.Description)
		}
	})
}

// stepContext is ctx bounded by stepWait until the step ends, so that a step that waits in
// vain fails in its own time rather than in the whole test's.
func stepContext(ctx context.Context, t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(ctx, stepWait)
	t.Cleanup(cancel)
	return ctx
}

// startBuildCluster starts a second apiserver with Tekton's CRDs (not the ProwJob's: no
// ProwJob lives in a build cluster) until the test ends.
func startBuildCluster(ctx context.Context, t *testing.T) *localcluster.Cluster {
	t.Helper()
	crds, err := localcluster.TektonCRDDir()
	if err != nil {
		t.Fatal(err)
	}
	c, err := localcluster.Start(ctx, localcluster.Options{CRDPaths: []string{crds}, Logf: t.Logf})
	if err != nil {
		t.Fatalf("start the build cluster: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("stop the build cluster: %v", err)
		}
	})
	return c
}

// controllerUser is the ServiceAccount user the controller is impersonated as.
func controllerUser(namespace string) string {
	return "system:serviceaccount:" + namespace + ":" + controllerSA
}

// grantControllerRoles creates, in namespace, the Roles the controller needs and binds
// them to its ServiceAccount: PipelineRuns always (a job namespace), and with prowJobs the
// ProwJob namespace's too (the ProwJob namespace and the Lease namespace are namespace
// here). This is the least the controller can run with; it is what the install's Roles
// grant.
func grantControllerRoles(ctx context.Context, t *testing.T, c *localcluster.Cluster, namespace string, prowJobs bool) {
	t.Helper()
	kube, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: controllerSA, Namespace: namespace}}
	if _, err := kube.CoreV1().ServiceAccounts(namespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	rules := []rbacv1.PolicyRule{{
		APIGroups: []string{"tekton.dev"}, Resources: []string{"pipelineruns"},
		Verbs: []string{"get", "list", "watch", "create", "patch", "delete"},
	}}
	if prowJobs {
		rules = append(rules,
			rbacv1.PolicyRule{APIGroups: []string{"prow.k8s.io"}, Resources: []string{"prowjobs"}, Verbs: []string{"get", "list", "watch", "create", "delete"}},
			rbacv1.PolicyRule{APIGroups: []string{"prow.k8s.io"}, Resources: []string{"prowjobs/status"}, Verbs: []string{"update", "patch"}},
			rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "create", "update"}},
			rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
			rbacv1.PolicyRule{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get", "create", "update"}},
		)
	}
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "bosun-controller", Namespace: namespace}, Rules: rules}
	if _, err := kube.RbacV1().Roles(namespace).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "bosun-controller", Namespace: namespace},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: controllerSA, Namespace: namespace}},
	}
	if _, err := kube.RbacV1().RoleBindings(namespace).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// impersonating returns cfg acting as user: the admin certificate may impersonate anyone.
func impersonating(cfg *rest.Config, user string) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
	return cfg
}

// checkForbiddenClusterWide makes sure the Roles are what the test says: the controller's
// user may not list ProwJobs or PipelineRuns across namespaces.
func checkForbiddenClusterWide(ctx context.Context, t *testing.T, cfg *rest.Config) {
	t.Helper()
	pjs, err := prowjobclientset.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	prs, err := pipelineclientset.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pjs.ProwV1().ProwJobs(metav1.NamespaceAll).List(ctx, metav1.ListOptions{Limit: 1}); !apierrors.IsForbidden(err) {
		t.Fatalf("cluster-wide ProwJob list as the controller: %v, want forbidden", err)
	}
	if _, err := prs.TektonV1().PipelineRuns(metav1.NamespaceAll).List(ctx, metav1.ListOptions{Limit: 1}); !apierrors.IsForbidden(err) {
		t.Fatalf("cluster-wide PipelineRun list as the controller: %v, want forbidden", err)
	}
}

// writeBuildClusterKubeconfig writes a kubeconfig reaching c as user, its one context named
// name, as a Prow build cluster's kubeconfig is written.
func writeBuildClusterKubeconfig(t *testing.T, path string, c *localcluster.Cluster, name, user string) string {
	t.Helper()
	kc, err := clientcmd.LoadFromFile(c.KubeconfigPath())
	if err != nil {
		t.Fatal(err)
	}
	ctx := kc.Contexts[kc.CurrentContext]
	auth := kc.AuthInfos[ctx.AuthInfo].DeepCopy()
	auth.Impersonate = user
	kc.AuthInfos = map[string]*clientcmdapi.AuthInfo{name: auth}
	kc.Clusters = map[string]*clientcmdapi.Cluster{name: kc.Clusters[ctx.Cluster]}
	kc.Contexts = map[string]*clientcmdapi.Context{name: {Cluster: name, AuthInfo: name}}
	kc.CurrentContext = name
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeUnreachableKubeconfig writes a kubeconfig whose one context, name, points at an
// address nothing listens on.
func writeUnreachableKubeconfig(t *testing.T, path, name string) string {
	t.Helper()
	data := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: %[1]s
  cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}
users:
- name: %[1]s
  user: {token: nope}
contexts:
- name: %[1]s
  context: {cluster: %[1]s, user: %[1]s}
current-context: %[1]s
`, name)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// restrictedSinkerClients are the sinker's clients as the controller's user, over both
// reachable clusters' job namespace.
func restrictedSinkerClients(t *testing.T, local *rest.Config, build *localcluster.Cluster, user, namespace string) sinker.Clients {
	t.Helper()
	pjs, err := prowjobclientset.NewForConfig(local)
	if err != nil {
		t.Fatal(err)
	}
	localRuns, err := pipelineclientset.NewForConfig(local)
	if err != nil {
		t.Fatal(err)
	}
	remoteRuns, err := pipelineclientset.NewForConfig(impersonating(build.RESTConfig(), user))
	if err != nil {
		t.Fatal(err)
	}
	return sinker.Clients{ProwJobs: pjs, Clusters: []sinker.Cluster{
		{Name: config.DefaultCluster, Namespaces: []string{namespace}, Tekton: localRuns},
		{Name: buildClusterName, Namespaces: []string{namespace}, Tekton: remoteRuns},
	}}
}

// buildClusterJobs creates reportable presubmits of one repository in the ProwJob
// namespace.
type buildClusterJobs struct {
	ctx       context.Context
	t         *testing.T
	namespace string
	repo      string
}

func newBuildClusterJobs(ctx context.Context, t *testing.T, namespace string) *buildClusterJobs {
	return &buildClusterJobs{ctx: ctx, t: t, namespace: namespace, repo: "gadgets-" + namespace}
}

// create creates job number i, for cluster and its run's namespace.
func (j *buildClusterJobs) create(cluster, runNamespace string, i int) *prowjobsv1.ProwJob {
	j.t.Helper()
	pj := &prowjobsv1.ProwJob{
		ObjectMeta: metav1.ObjectMeta{
			Name:      fmt.Sprintf("%s-job-%d", j.namespace, i),
			Namespace: j.namespace,
			Labels:    map[string]string{prowjobsv1.CreatedByProwLabel: "true", prowjobsv1.BuildIDLabel: fmt.Sprint(i)},
		},
		Spec: prowjobsv1.ProwJobSpec{
			Type: prowjobsv1.PresubmitJob, Agent: prowjobsv1.TektonAgent, Cluster: cluster, Namespace: runNamespace,
			Job: fmt.Sprintf("unit-%d", i), Context: fmt.Sprintf("unit-%d", i), Report: true,
			Refs: &prowjobsv1.Refs{
				Org: "acme", Repo: j.repo, BaseRef: "main", BaseSHA: strings.Repeat("b", 40),
				Pulls: []prowjobsv1.Pull{{Number: i, Author: "alice", SHA: sha(i)}},
			},
			PipelineRunSpec: &pipelinev1.PipelineRunSpec{PipelineRef: &pipelinev1.PipelineRef{Name: "unit"}},
		},
	}
	created, err := env.ProwJobs.ProwV1().ProwJobs(j.namespace).Create(j.ctx, pj, metav1.CreateOptions{})
	if err != nil {
		j.t.Fatal(err)
	}
	return created
}

func waitForRun(ctx context.Context, t *testing.T, tekton pipelineclientset.Interface, namespace, name string) *pipelinev1.PipelineRun {
	t.Helper()
	var run *pipelinev1.PipelineRun
	if err := framework.Poll(ctx, pollInterval, func(ctx context.Context) (bool, error) {
		pr, err := tekton.TektonV1().PipelineRuns(namespace).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		run = pr
		return err == nil, err
	}); err != nil {
		t.Fatalf("PipelineRun %s/%s: %v", namespace, name, err)
	}
	return run
}

func checkNoRun(ctx context.Context, t *testing.T, tekton pipelineclientset.Interface, namespace, name string) {
	t.Helper()
	for _, c := range []pipelineclientset.Interface{env.Tekton, tekton} {
		if _, err := c.TektonV1().PipelineRuns(namespace).Get(ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("PipelineRun %s/%s: %v, want none", namespace, name, err)
		}
	}
}

func waitForJobState(ctx context.Context, t *testing.T, namespace, name string, want prowjobsv1.ProwJobState) *prowjobsv1.ProwJob {
	t.Helper()
	var last *prowjobsv1.ProwJob
	if err := framework.Poll(ctx, pollInterval, func(ctx context.Context) (bool, error) {
		pj, err := env.ProwJobs.ProwV1().ProwJobs(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		last = pj
		return pj.Status.State == want, nil
	}); err != nil {
		var status prowjobsv1.ProwJobStatus
		if last != nil {
			status = last.Status
		}
		t.Fatalf("ProwJob %s never reached %s (last status %+v): %v", name, want, status, err)
	}
	return last
}

func waitForGitHubStatus(ctx context.Context, t *testing.T, pj *prowjobsv1.ProwJob, want string) {
	t.Helper()
	refs := pj.Spec.Refs
	if err := framework.Poll(ctx, pollInterval, func(context.Context) (bool, error) {
		s, ok := env.GitHub.LatestStatus(refs.Org, refs.Repo, refs.Pulls[0].SHA, pj.Spec.Context)
		return ok && s.GetState() == want, nil
	}); err != nil {
		t.Errorf("GitHub status of %s never became %s: %v", pj.Spec.Context, want, err)
	}
}

func containsKey(keys []types.NamespacedName, namespace, name string) bool {
	for _, k := range keys {
		if k.Namespace == namespace && k.Name == name {
			return true
		}
	}
	return false
}

// freeAddr returns a loopback address with a port free when asked.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func getURL(ctx context.Context, t *testing.T, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}
