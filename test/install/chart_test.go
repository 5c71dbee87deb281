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

package install

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// render runs `helm template` of the chart as release "bosun" in namespace with the given
// values file content, and parses the objects.
func render(t *testing.T, namespace, values string) []*unstructured.Unstructured {
	t.Helper()
	objects, err := renderErr(t, namespace, values)
	if err != nil {
		t.Fatal(err)
	}
	return objects
}

func renderErr(t *testing.T, namespace, values string) ([]*unstructured.Unstructured, error) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(file, []byte(values), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := tool(ctx, "helm", "template", "bosun", filepath.Join(repo, "charts/bosun"), "--namespace", namespace, "-f", file)
	if err != nil {
		return nil, err
	}
	return parseObjects(out)
}

func TestHelmLint(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := tool(ctx, "helm", "lint", "--strict", filepath.Join(repo, "charts/bosun"), "--set", "hmacToken=x,oauthToken=y")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

// valueSets are the installs the chart must render and the apiserver must admit, each in a
// namespace of its own; check adds what is particular to the set.
var valueSets = []struct {
	name   string
	values string
	check  func(t *testing.T, objs map[string]*unstructured.Unstructured)
}{{
	name:   "defaults",
	values: "hmacToken: s3cret\noauthToken: t0ken\n",
	check: func(t *testing.T, objs map[string]*unstructured.Unstructured) {
		secret := objs["Secret/bosun-defaults/bosun-secrets"]
		if secret == nil {
			t.Fatal("no Secret rendered")
		}
		data, _, _ := unstructured.NestedStringMap(secret.Object, "data")
		if _, ok := data["hmac"]; !ok || len(data) != 2 || data["oauth"] == "" {
			t.Errorf("secret keys = %v, want hmac and oauth", data)
		}
		if args := containerArgs(t, objs, "bosun-defaults", "controller"); !slices.Contains(args, "--github-token-path=/etc/bosun/secrets/oauth") || !slices.Contains(args, "--job-namespaces=bosun-defaults") {
			t.Errorf("controller args %v: no token path or job namespaces", args)
		}
		if objs["Task/bosun-defaults/bosun-git-clone"] == nil {
			t.Error("the git-clone Task is not installed into the job namespace")
		}
	},
}, {
	name:   "ha",
	values: "hmacToken: s3cret\noauthToken: t0ken\nhook:\n  replicaCount: 3\ncontroller:\n  replicaCount: 2\n  leaderElectionBuckets: 4\n",
	check: func(t *testing.T, objs map[string]*unstructured.Unstructured) {
		args := containerArgs(t, objs, "bosun-ha", "controller")
		for _, want := range []string{"--leader-elect", "--leader-elect-namespace=bosun-ha", "--leader-elect-buckets=4"} {
			if !slices.Contains(args, want) {
				t.Errorf("controller args %v lack %s", args, want)
			}
		}
		if d := deployment(t, objs, "bosun-ha", "controller"); d.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
			t.Error("replicated controllers are recreated on upgrade instead of rolled")
		}
	},
}, {
	name: "github-app-ghe",
	values: "hmacToken: s3cret\ngithubApp:\n  enabled: true\n  appID: \"1234\"\n  installationID: \"5678\"\n  privateKey: |\n    -----BEGIN RSA PRIVATE KEY-----\n    x\n    -----END RSA PRIVATE KEY-----\n" +
		"github:\n  endpoint: https://ghe.example.com/api/v3\n",
	check: func(t *testing.T, objs map[string]*unstructured.Unstructured) {
		for _, component := range []string{"hook", "controller"} {
			args := containerArgs(t, objs, "bosun-github-app-ghe", component)
			for _, want := range []string{"--github-app-id=1234", "--github-app-installation-id=5678",
				"--github-app-private-key-path=/etc/bosun/secrets/github-app-private-key", "--github-endpoint=https://ghe.example.com/api/v3"} {
				if !slices.Contains(args, want) {
					t.Errorf("%s args %v lack %s", component, args, want)
				}
			}
		}
	},
}, {
	name:   "existing-secret-and-config",
	values: "existingSecret: my-secrets\nexistingConfigMap: my-config\n",
	check: func(t *testing.T, objs map[string]*unstructured.Unstructured) {
		for k := range objs {
			if strings.HasPrefix(k, "Secret/") || strings.HasPrefix(k, "ConfigMap/") {
				t.Errorf("%s rendered although existing ones were named", k)
			}
		}
		d := deployment(t, objs, "bosun-existing-secret-and-config", "hook")
		for _, v := range d.Spec.Template.Spec.Volumes {
			if v.Secret != nil && v.Secret.SecretName != "my-secrets" || v.ConfigMap != nil && v.ConfigMap.Name != "my-config" {
				t.Errorf("volume %s does not use the existing objects: %+v", v.Name, v.VolumeSource)
			}
		}
	},
}, {
	name:   "namespaces",
	values: "hmacToken: s3cret\nprowJobNamespace: ns-prow\njobNamespaces: [ns-pods-a, ns-pods-b]\ncreateNamespaces: true\n",
	check: func(t *testing.T, objs map[string]*unstructured.Unstructured) {
		for _, ns := range []string{"ns-prow", "ns-pods-a", "ns-pods-b"} {
			if objs["Namespace//"+ns] == nil {
				t.Errorf("namespace %s not created", ns)
			}
		}
		for _, ns := range []string{"ns-pods-a", "ns-pods-b"} {
			if objs["Role/"+ns+"/bosun-controller-pipelineruns"] == nil || objs["Task/"+ns+"/bosun-git-clone"] == nil {
				t.Errorf("no PipelineRun Role or clone Task in job namespace %s", ns)
			}
		}
		if objs["Role/ns-prow/bosun-hook"] == nil || objs["Role/ns-prow/bosun-controller-prowjobs"] == nil {
			t.Error("no ProwJob Roles in the ProwJob namespace")
		}
		args := containerArgs(t, objs, "bosun-namespaces", "controller")
		if !slices.Contains(args, "--prowjob-namespace=ns-prow") || !slices.Contains(args, "--job-namespaces=ns-pods-a,ns-pods-b") {
			t.Errorf("controller args %v: namespaces not passed", args)
		}
		cfg, _, _ := unstructured.NestedString(objs["ConfigMap/bosun-namespaces/bosun-config"].Object, "data", "config.yaml")
		if !strings.Contains(cfg, "prowjob_namespace: ns-prow") || !strings.Contains(cfg, "pod_namespace: ns-pods-a") {
			t.Errorf("config.yaml does not default the namespaces:\n%s", cfg)
		}
	},
}, {
	name: "ingress-monitoring-build-clusters",
	values: "hmacToken: s3cret\noauthToken: t0ken\nhook:\n  ingress:\n    enabled: true\n    className: nginx\n    host: hook.example.com\n    tlsSecret: hook-tls\n" +
		"  image:\n    digest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n" +
		"serviceMonitor:\n  enabled: true\n  labels:\n    release: prometheus\nbuildClusters:\n  existingSecret: build-clusters\n" +
		"config:\n  tekton:\n    default_timeout: 2h\n",
	check: func(t *testing.T, objs map[string]*unstructured.Unstructured) {
		ns := "bosun-ingress-monitoring-build-clusters"
		if objs["Ingress/"+ns+"/bosun-hook"] == nil {
			t.Error("no Ingress")
		}
		for _, c := range []string{"hook", "controller"} {
			if objs["ServiceMonitor/"+ns+"/bosun-"+c] == nil {
				t.Errorf("no ServiceMonitor for the %s", c)
			}
		}
		if img := deployment(t, objs, ns, "hook").Spec.Template.Spec.Containers[0].Image; !strings.HasSuffix(img, "/hook@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef") {
			t.Errorf("hook image %s is not pinned by digest", img)
		}
		if args := containerArgs(t, objs, ns, "controller"); !slices.Contains(args, "--build-cluster-kubeconfig=/etc/bosun/build-clusters") {
			t.Errorf("controller args %v: no build clusters", args)
		}
		cfg, _, _ := unstructured.NestedString(objs["ConfigMap/"+ns+"/bosun-config"].Object, "data", "config.yaml")
		if !strings.Contains(cfg, "default_timeout: 2h") {
			t.Errorf("the inline config is lost:\n%s", cfg)
		}
	},
}, {
	name:   "local-node",
	values: "hmacToken: s3cret\nhostNetwork: true\nhook:\n  replicaCount: 1\n  port: 18888\nenv:\n- name: KUBERNETES_SERVICE_HOST\n  value: 127.0.0.1\n",
	check: func(t *testing.T, objs map[string]*unstructured.Unstructured) {
		d := deployment(t, objs, "bosun-local-node", "hook")
		if !d.Spec.Template.Spec.HostNetwork {
			t.Error("hostNetwork not set")
		}
		if ru := d.Spec.Strategy.RollingUpdate; ru == nil || ru.MaxSurge == nil || ru.MaxSurge.IntValue() != 0 {
			t.Errorf("hook rollout %+v: on the node's network a surge pod can never bind the ports", d.Spec.Strategy)
		}
		if objs["PodDisruptionBudget/bosun-local-node/bosun-hook"] != nil {
			t.Error("a PodDisruptionBudget for a single hook would block node drains")
		}
	},
}}

// TestChartValueSets renders the chart for each value set, checks what every install must
// have (least privilege, hardened pods, probes) and what the set asks for, then has the real
// apiserver admit every object in a server-side dry run.
func TestChartValueSets(t *testing.T) {
	apply, err := newApplier(cluster.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			ns := "bosun-" + vs.name
			objects := render(t, ns, vs.values)
			objs, err := byKey(objects)
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, ns, objs)
			vs.check(t, objs)

			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			// Namespaces are applied for real (a dry-run object needs its namespace to exist).
			var rest []*unstructured.Unstructured
			namespaces := map[string]bool{ns: true}
			for _, o := range objects {
				if o.GetKind() == "Namespace" {
					namespaces[o.GetName()] = true
					continue
				}
				if o.GetNamespace() != "" {
					namespaces[o.GetNamespace()] = true
				}
				rest = append(rest, o)
			}
			for n := range namespaces {
				if err := cluster.CreateNamespace(ctx, n); err != nil {
					t.Fatal(err)
				}
			}
			if err := apply.apply(ctx, rest, true); err != nil {
				t.Fatalf("the apiserver refuses the rendered chart:\n%v", err)
			}
		})
	}
}

// checkInvariants holds for every install, whatever the values.
func checkInvariants(t *testing.T, releaseNS string, objs map[string]*unstructured.Unstructured) {
	t.Helper()
	deployments := 0
	for _, key := range sortedKeys(objs) {
		o := objs[key]
		switch o.GetKind() {
		case "ClusterRole", "ClusterRoleBinding":
			t.Errorf("%s: bosun's work is namespaced; Roles only", key)
		case "Deployment":
			deployments++
			checkDeployment(t, key, toDeployment(t, o))
		}
		if o.GetKind() != "Namespace" && o.GetNamespace() == "" {
			t.Errorf("%s has no namespace", key)
		}
	}
	if deployments != 2 {
		t.Errorf("%d Deployments, want the hook and the controller", deployments)
	}
	for _, component := range []string{"hook", "controller"} {
		d := deployment(t, objs, releaseNS, component)
		replicas := int32(1)
		if d.Spec.Replicas != nil {
			replicas = *d.Spec.Replicas
		}
		if pdb := objs["PodDisruptionBudget/"+releaseNS+"/bosun-"+component]; (pdb != nil) != (replicas > 1) {
			t.Errorf("%s: %d replicas, PodDisruptionBudget rendered: %v", component, replicas, pdb != nil)
		}
		if objs["Service/"+releaseNS+"/bosun-"+component+"-metrics"] == nil {
			t.Errorf("no metrics Service for the %s", component)
		}
		if objs["ServiceAccount/"+releaseNS+"/bosun-"+component] == nil || d.Spec.Template.Spec.ServiceAccountName != "bosun-"+component {
			t.Errorf("the %s does not run as its own ServiceAccount", component)
		}
		if component == "controller" {
			args := containerArgs(t, objs, releaseNS, component)
			if slices.Contains(args, "--leader-elect") != (replicas > 1) {
				t.Errorf("controller: %d replicas, leader election %v", replicas, slices.Contains(args, "--leader-elect"))
			}
		}
	}
}

func checkDeployment(t *testing.T, key string, d *appsv1.Deployment) {
	t.Helper()
	pod := d.Spec.Template.Spec
	psc := pod.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod security context %+v: want runAsNonRoot and seccomp RuntimeDefault", key, psc)
	}
	for _, c := range pod.Containers {
		sc := c.SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
			sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
			sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
			t.Errorf("%s/%s: security context %+v: want a read-only root, no escalation, all capabilities dropped", key, c.Name, sc)
		}
		if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
			t.Errorf("%s/%s: liveness probe %+v, want GET /healthz", key, c.Name, c.LivenessProbe)
		}
		if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
			t.Errorf("%s/%s: readiness probe %+v, want GET /readyz", key, c.Name, c.ReadinessProbe)
		}
		if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() {
			t.Errorf("%s/%s: no resource requests", key, c.Name)
		}
	}
}

func toDeployment(t *testing.T, o *unstructured.Unstructured) *appsv1.Deployment {
	t.Helper()
	var d appsv1.Deployment
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &d); err != nil {
		t.Fatalf("%s: %v", objectKey(o), err)
	}
	return &d
}

func deployment(t *testing.T, objs map[string]*unstructured.Unstructured, ns, component string) *appsv1.Deployment {
	t.Helper()
	o := objs["Deployment/"+ns+"/bosun-"+component]
	if o == nil {
		t.Fatalf("no Deployment for the %s in %s", component, ns)
	}
	return toDeployment(t, o)
}

func containerArgs(t *testing.T, objs map[string]*unstructured.Unstructured, ns, component string) []string {
	t.Helper()
	return deployment(t, objs, ns, component).Spec.Template.Spec.Containers[0].Args
}

// TestChartRefusesInstallsThatCannotWork: a missing webhook secret or an incomplete GitHub
// App is a clear error at template time, not a pod crash-looping later.
func TestChartRefusesInstallsThatCannotWork(t *testing.T) {
	for _, tc := range []struct{ values, want string }{
		{"oauthToken: x\n", "hmacToken (or existingSecret) is required"},
		{"hmacToken: x\ngithubApp:\n  enabled: true\n  installationID: \"1\"\n  privateKey: k\n", "githubApp.appID is required"},
		{"hmacToken: x\ngithubApp:\n  enabled: true\n  appID: \"1\"\n  installationID: \"1\"\n", "githubApp.privateKey (or existingSecret) is required"},
	} {
		_, err := renderErr(t, "bosun", tc.values)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("values %q: error %v, want %q", tc.values, err, tc.want)
		}
	}
}

// TestKustomizeBaseIsTheChart: config/default, for kubectl users, renders the same objects
// as the chart (it is generated from it; this catches a stale or hand-edited copy), and the
// apiserver admits it.
func TestKustomizeBaseIsTheChart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := tool(ctx, "kustomize", "build", filepath.Join(repo, "config/default"))
	if err != nil {
		t.Fatal(err)
	}
	kustomized, err := parseObjects(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := byKey(kustomized)
	if err != nil {
		t.Fatal(err)
	}
	chart, err := byKey(render(t, "bosun", "existingSecret: bosun-secrets\n"))
	if err != nil {
		t.Fatal(err)
	}
	crds, err := os.ReadFile(filepath.Join(repo, "charts/bosun/crds/prow.k8s.io_prowjobs.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	crdObjects, err := parseObjects(crds)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range crdObjects {
		chart[objectKey(o)] = o
	}
	for _, key := range sortedKeys(chart) {
		want := chart[key]
		g := got[key]
		if g == nil {
			t.Errorf("%s: in the chart, not in config/default", key)
			continue
		}
		labels := g.GetLabels()
		if labels["app.kubernetes.io/managed-by"] == "kustomize" {
			labels["app.kubernetes.io/managed-by"] = want.GetLabels()["app.kubernetes.io/managed-by"]
			g.SetLabels(labels)
		}
		if !equalObjects(want, g) {
			t.Errorf("%s differs between the chart and config/default (run make generate)", key)
		}
	}
	for _, key := range sortedKeys(got) {
		if chart[key] == nil && got[key].GetKind() != "Namespace" {
			t.Errorf("%s: in config/default, not in the chart", key)
		}
	}

	apply, err := newApplier(cluster.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := cluster.CreateNamespace(ctx, "bosun"); err != nil {
		t.Fatal(err)
	}
	var namespaced []*unstructured.Unstructured
	for _, o := range kustomized {
		if o.GetKind() != "Namespace" && o.GetKind() != "CustomResourceDefinition" {
			namespaced = append(namespaced, o)
		}
	}
	if err := apply.apply(ctx, namespaced, true); err != nil {
		t.Fatalf("the apiserver refuses config/default:\n%v", err)
	}
}

func equalObjects(a, b *unstructured.Unstructured) bool {
	ja, err1 := a.MarshalJSON()
	jb, err2 := b.MarshalJSON()
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}
