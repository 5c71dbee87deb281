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
	"fmt"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

// access is one request a ServiceAccount may or may not make; namespace "" is cluster-wide.
type access struct {
	verb, group, resource, subresource, namespace string
}

func (a access) String() string {
	r := a.resource
	if a.subresource != "" {
		r += "/" + a.subresource
	}
	where := "in " + a.namespace
	if a.namespace == "" {
		where = "cluster-wide"
	}
	return fmt.Sprintf("%s %s %s", a.verb, r, where)
}

// TestRBACGrantsWhatEachPartNeedsAndNoMore applies the chart's ServiceAccounts and RBAC with
// the ProwJobs, the runs and bosun itself in three different namespaces, then asks the
// apiserver's authorizer, for each ServiceAccount, about what the component does (allowed)
// and what it must never do (refused); then acts as each ServiceAccount for real.
func TestRBACGrantsWhatEachPartNeedsAndNoMore(t *testing.T) {
	const (
		release = "rbac-bosun"
		prow    = "rbac-prow"
		podsA   = "rbac-pods-a"
		podsB   = "rbac-pods-b"
		other   = "rbac-elsewhere"
	)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	objects := render(t, release, fmt.Sprintf("hmacToken: x\noauthToken: t0ken\nprowJobNamespace: %s\njobNamespaces: [%s, %s]\n", prow, podsA, podsB))
	var rbac []*unstructured.Unstructured
	for _, o := range objects {
		switch o.GetKind() {
		case "ServiceAccount", "Role", "RoleBinding":
			rbac = append(rbac, o)
		}
	}
	for _, ns := range []string{release, prow, podsA, podsB, other} {
		if err := cluster.CreateNamespace(ctx, ns); err != nil {
			t.Fatal(err)
		}
	}
	apply, err := newApplier(cluster.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := apply.apply(ctx, rbac, false); err != nil {
		t.Fatal(err)
	}
	admin, err := kubernetes.NewForConfig(cluster.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}

	const prowGroup, tekton, coordination = "prow.k8s.io", "tekton.dev", "coordination.k8s.io"
	cases := []struct {
		serviceAccount  string
		allowed, denied []access
	}{{
		serviceAccount: "bosun-hook",
		allowed: []access{
			{"create", prowGroup, "prowjobs", "", prow},
			{"list", prowGroup, "prowjobs", "", prow},
			{"get", prowGroup, "prowjobs", "", prow},
			{"update", prowGroup, "prowjobs", "status", prow},
		},
		denied: []access{
			{"create", prowGroup, "prowjobs", "", podsA},
			{"list", prowGroup, "prowjobs", "", ""},
			{"delete", prowGroup, "prowjobs", "", prow},
			{"update", prowGroup, "prowjobs", "", prow},
			{"create", tekton, "pipelineruns", "", podsA},
			{"get", "", "secrets", "", release},
			{"get", "", "secrets", "", prow},
			{"list", "", "secrets", "", ""},
			{"create", "", "pods", "", podsA},
			{"get", "", "configmaps", "", release},
		},
	}, {
		serviceAccount: "bosun-controller",
		allowed: []access{
			{"watch", prowGroup, "prowjobs", "", prow},
			{"update", prowGroup, "prowjobs", "status", prow},
			{"create", prowGroup, "prowjobs", "", prow},
			{"delete", prowGroup, "prowjobs", "", prow},
			{"create", tekton, "pipelineruns", "", podsA},
			{"watch", tekton, "pipelineruns", "", podsB},
			{"patch", tekton, "pipelineruns", "", podsB},
			{"delete", tekton, "pipelineruns", "", podsA},
			{"create", coordination, "leases", "", release},
			{"update", coordination, "leases", "", release},
			{"update", "", "configmaps", "", prow},
			{"create", "", "configmaps", "", prow},
			{"create", "", "events", "", prow},
		},
		denied: []access{
			{"create", tekton, "pipelineruns", "", prow},
			{"create", tekton, "pipelineruns", "", other},
			{"list", tekton, "pipelineruns", "", ""},
			{"list", prowGroup, "prowjobs", "", ""},
			{"watch", prowGroup, "prowjobs", "", podsA},
			{"get", "", "secrets", "", release},
			{"get", "", "secrets", "", prow},
			{"list", "", "secrets", "", podsA},
			{"create", "", "pods", "", podsA},
			{"create", tekton, "taskruns", "", podsA},
			{"create", coordination, "leases", "", prow},
			{"get", "", "configmaps", "", podsA},
			{"get", "", "configmaps", "", release},
			{"list", "", "configmaps", "", prow},
			{"update", prowGroup, "prowjobs", "", prow},
			{"update", tekton, "pipelineruns", "", podsA},
			{"create", "", "events", "", podsA},
			{"create", "rbac.authorization.k8s.io", "rolebindings", "", release},
		},
	}}
	for _, tc := range cases {
		user := "system:serviceaccount:" + release + ":" + tc.serviceAccount
		for want, list := range map[bool][]access{true: tc.allowed, false: tc.denied} {
			for _, a := range list {
				review, err := admin.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
					Spec: authorizationv1.SubjectAccessReviewSpec{
						User:   user,
						Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + release, "system:authenticated"},
						ResourceAttributes: &authorizationv1.ResourceAttributes{
							Verb: a.verb, Group: a.group, Resource: a.resource, Subresource: a.subresource, Namespace: a.namespace,
						},
					},
				}, metav1.CreateOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if review.Status.Allowed != want {
					t.Errorf("%s may %s: %v, want %v (%s)", tc.serviceAccount, a, review.Status.Allowed, want, review.Status.Reason)
				}
			}
		}
	}

	// The same, acting as the ServiceAccounts.
	as := func(sa string) dynamic.Interface {
		cfg := cluster.RESTConfig()
		cfg.Impersonate.UserName = "system:serviceaccount:" + release + ":" + sa
		cfg.Impersonate.Groups = []string{"system:serviceaccounts", "system:serviceaccounts:" + release, "system:authenticated"}
		client, err := dynamic.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return client
	}
	pipelineRuns := schema.GroupVersionResource{Group: tekton, Version: "v1", Resource: "pipelineruns"}
	prowJobs := schema.GroupVersionResource{Group: prowGroup, Version: "v1", Resource: "prowjobs"}
	secrets := schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	pipelineRun := func(ns string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "tekton.dev/v1", "kind": "PipelineRun",
			"metadata": map[string]any{"generateName": "rbac-", "namespace": ns},
			"spec":     map[string]any{"pipelineRef": map[string]any{"name": "p"}},
		}}
	}
	controller, hook := as("bosun-controller"), as("bosun-hook")
	if _, err := controller.Resource(pipelineRuns).Namespace(podsA).Create(ctx, pipelineRun(podsA), metav1.CreateOptions{}); err != nil {
		t.Errorf("the controller cannot create a PipelineRun in job namespace %s: %v", podsA, err)
	}
	if _, err := controller.Resource(pipelineRuns).Namespace(other).Create(ctx, pipelineRun(other), metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("the controller creating a PipelineRun in %s (no job namespace): %v, want Forbidden", other, err)
	}
	if _, err := controller.Resource(pipelineRuns).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("the controller listing PipelineRuns cluster-wide: %v, want Forbidden", err)
	}
	prowJob := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "prow.k8s.io/v1", "kind": "ProwJob",
		"metadata": map[string]any{"generateName": "rbac-", "namespace": prow},
		"spec":     map[string]any{"type": "periodic", "agent": "tekton-pipeline", "job": "rbac"},
	}}
	if _, err := hook.Resource(prowJobs).Namespace(prow).Create(ctx, prowJob, metav1.CreateOptions{}); err != nil {
		t.Errorf("the hook cannot create a ProwJob in %s: %v", prow, err)
	}
	for name, client := range map[string]dynamic.Interface{"hook": hook, "controller": controller} {
		if _, err := client.Resource(secrets).Namespace(release).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
			t.Errorf("the %s listing Secrets in its own namespace: %v, want Forbidden", name, err)
		}
	}
}
