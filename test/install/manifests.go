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

// Package install tests bosun's install: the Helm chart and the kustomize base rendered and
// applied to a real apiserver, the RBAC they grant checked by acting as each ServiceAccount,
// and the installed chart's pods running a job on the local node.
package install

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/bosun-ci/bosun/test/localcluster"
)

// parseObjects splits multi-document YAML into objects, skipping empty documents.
func parseObjects(manifests []byte) ([]*unstructured.Unstructured, error) {
	decoder := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(manifests), 4096)
	var objects []*unstructured.Unstructured
	for {
		var raw map[string]any
		if err := decoder.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				return objects, nil
			}
			return nil, fmt.Errorf("decoding manifests: %w", err)
		}
		if len(raw) == 0 {
			continue
		}
		objects = append(objects, &unstructured.Unstructured{Object: raw})
	}
}

// objectKey names an object the way kubectl does: kind/namespace/name.
func objectKey(o *unstructured.Unstructured) string {
	return o.GetKind() + "/" + o.GetNamespace() + "/" + o.GetName()
}

// byKey indexes objects by objectKey, failing on a duplicate (two templates rendering the
// same object would make an install fight itself).
func byKey(objects []*unstructured.Unstructured) (map[string]*unstructured.Unstructured, error) {
	m := make(map[string]*unstructured.Unstructured, len(objects))
	for _, o := range objects {
		k := objectKey(o)
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("%s is rendered twice", k)
		}
		m[k] = o
	}
	return m, nil
}

func sortedKeys(m map[string]*unstructured.Unstructured) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// applier applies objects with server-side apply, as `kubectl apply --server-side` does.
type applier struct {
	client dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

func newApplier(cfg *rest.Config) (*applier, error) {
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	disco, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &applier{client: client, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disco))}, nil
}

// apply applies every object; with dryRun the apiserver validates and admits them (schema,
// RBAC escalation checks, defaulting) without storing anything.
func (a *applier) apply(ctx context.Context, objects []*unstructured.Unstructured, dryRun bool) error {
	var errs []error
	for _, o := range objects {
		if err := a.applyOne(ctx, o, dryRun); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", objectKey(o), err))
		}
	}
	return errors.Join(errs...)
}

func (a *applier) resource(o *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	gvk := o.GroupVersionKind()
	mapping, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		a.mapper.Reset() // a CRD installed since the last discovery
		if mapping, err = a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version); err != nil {
			return nil, err
		}
	}
	if mapping.Scope.Name() == "namespace" {
		return a.client.Resource(mapping.Resource).Namespace(o.GetNamespace()), nil
	}
	return a.client.Resource(mapping.Resource), nil
}

func (a *applier) applyOne(ctx context.Context, o *unstructured.Unstructured, dryRun bool) error {
	r, err := a.resource(o)
	if err != nil {
		return err
	}
	data, err := o.MarshalJSON()
	if err != nil {
		return err
	}
	opts := metav1.PatchOptions{FieldManager: "bosun-install-test", Force: ptrTo(true)}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	_, err = r.Patch(ctx, o.GetName(), types.ApplyPatchType, data, opts)
	return err
}

func ptrTo[T any](v T) *T { return &v }

// tool runs one of the deploy tools (helm, kustomize) from the binary cache.
func tool(ctx context.Context, name string, args ...string) ([]byte, error) {
	path := filepath.Join(localcluster.DefaultBinDir(), name)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("%s is not built (run hack/build-deploy-tools.sh): %w", name, err)
	}
	cmd := exec.CommandContext(ctx, path, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
