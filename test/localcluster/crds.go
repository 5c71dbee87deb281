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

package localcluster

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/yaml"
)

// crdEstablishTimeout bounds the wait for installed CRDs to be served.
const crdEstablishTimeout = 60 * time.Second

// InstallCRDs creates (or updates) the CustomResourceDefinitions in paths, files or directories
// of multi-document YAML, waits until all of them are Established, lists each served version
// once so that the apiserver has set up their storage, and waits out the 2 s during which the
// apiserver holds creates for a new CRD. Afterwards the first request is as fast as any other
// (without this, it takes 1 to 2 s more). spec.conversion is
// removed from each: conversion webhooks are not running here, so every version is served as
// stored (use the storage version, v1 for Tekton).
func (c *Cluster) InstallCRDs(ctx context.Context, paths ...string) error {
	crds, err := readCRDs(paths)
	if err != nil {
		return err
	}
	return c.installCRDs(ctx, crds)
}

func (c *Cluster) installCRDs(ctx context.Context, crds []*apiextensionsv1.CustomResourceDefinition) error {
	if len(crds) == 0 {
		return nil
	}
	client, err := apiextensionsclient.NewForConfig(c.RESTConfig())
	if err != nil {
		return err
	}
	api := client.ApiextensionsV1().CustomResourceDefinitions()
	for _, crd := range crds {
		_, err := api.Create(ctx, crd, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
				existing, err := api.Get(ctx, crd.Name, metav1.GetOptions{})
				if err != nil {
					return err
				}
				update := crd.DeepCopy()
				update.ResourceVersion = existing.ResourceVersion
				_, err = api.Update(ctx, update, metav1.UpdateOptions{})
				return err
			})
		}
		if err != nil {
			return fmt.Errorf("installing CRD %s: %w", crd.Name, err)
		}
	}

	pending := make(map[string]string, len(crds)) // name -> why it is not Established yet
	var established []time.Time                   // when each one became Established
	for _, crd := range crds {
		pending[crd.Name] = "not seen yet"
	}
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, crdEstablishTimeout, true, func(ctx context.Context) (bool, error) {
		list, err := api.List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil // keep polling; the last state is reported on timeout
		}
		for i := range list.Items {
			crd := &list.Items[i]
			if _, ok := pending[crd.Name]; !ok {
				continue
			}
			if ok, since, why := crdEstablished(crd); ok {
				delete(pending, crd.Name)
				established = append(established, since)
			} else {
				pending[crd.Name] = why
			}
		}
		return len(pending) == 0, nil
	})
	if err != nil {
		var waiting []string
		for name, why := range pending {
			waiting = append(waiting, name+": "+why)
		}
		slices.Sort(waiting)
		return fmt.Errorf("waiting for CRDs to be Established: %w; still waiting for %s", err, strings.Join(waiting, "; "))
	}
	if err := c.warmUpCRDs(ctx, crds); err != nil {
		return err
	}
	return waitCreateDelay(ctx, established)
}

// createDelay is how long after a CRD becomes Established the apiserver holds each create of
// its custom resources (2 s, so that other apiservers in an HA setup see the CRD too), plus
// a margin.
const createDelay = 2*time.Second + 100*time.Millisecond

// waitCreateDelay returns once the apiserver no longer delays creates of custom resources whose
// CRD became Established at the given times (to the second, as the condition records them), so
// that the first create in a test or benchmark is not 2 s slower than the next.
func waitCreateDelay(ctx context.Context, established []time.Time) error {
	var latest time.Time
	for _, t := range established {
		if t.After(latest) {
			latest = t
		}
	}
	wait := time.Until(latest.Add(createDelay))
	if wait <= 0 {
		return nil
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// warmUpCRDs lists every served version of every CRD once, in parallel. The apiserver sets up
// a custom resource's storage on its first request, and a first namespaced request then waits
// about a second per resource; after this, the first request of a test or benchmark is as fast
// as any other.
func (c *Cluster) warmUpCRDs(ctx context.Context, crds []*apiextensionsv1.CustomResourceDefinition) error {
	cfg := c.RESTConfig()
	cfg.WarningHandler = rest.NoWarnings{} // listing deprecated versions is intended here
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, crd := range crds {
		for _, version := range crd.Spec.Versions {
			if !version.Served {
				continue
			}
			gvr := schema.GroupVersionResource{Group: crd.Spec.Group, Version: version.Name, Resource: crd.Spec.Names.Plural}
			wg.Go(func() {
				var lastErr error
				err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, crdEstablishTimeout, true, func(ctx context.Context) (bool, error) {
					_, lastErr = client.Resource(gvr).List(ctx, metav1.ListOptions{Limit: 1})
					return lastErr == nil, nil
				})
				if err != nil {
					mu.Lock()
					defer mu.Unlock()
					errs = append(errs, fmt.Errorf("listing %s: %w (last error: %v)", gvr, err, lastErr))
				}
			})
		}
	}
	wg.Wait()
	return errors.Join(errs...)
}

// crdEstablished tells whether crd is served and since when or, if it is not, why (from its
// conditions).
func crdEstablished(crd *apiextensionsv1.CustomResourceDefinition) (bool, time.Time, string) {
	why := "no Established condition yet"
	for _, cond := range crd.Status.Conditions {
		switch cond.Type {
		case apiextensionsv1.Established:
			if cond.Status == apiextensionsv1.ConditionTrue {
				return true, cond.LastTransitionTime.Time, ""
			}
			why = fmt.Sprintf("Established=%s %s: %s", cond.Status, cond.Reason, cond.Message)
		case apiextensionsv1.NamesAccepted:
			if cond.Status == apiextensionsv1.ConditionFalse {
				return false, time.Time{}, fmt.Sprintf("NamesAccepted=False %s: %s", cond.Reason, cond.Message)
			}
		}
	}
	return false, time.Time{}, why
}

// readCRDs reads the CRDs in paths: files, or directories whose *.yaml, *.yml and *.json files
// (not subdirectories) are read in name order. Every document must be an
// apiextensions.k8s.io/v1 CustomResourceDefinition; empty documents are skipped.
// kustomization names the files kustomize reads as a directory's index.
var kustomization = map[string]bool{"kustomization.yaml": true, "kustomization.yml": true, "Kustomization": true}

func readCRDs(paths []string) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	var files []string
	for _, path := range paths {
		info, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("reading CRDs: %w", err)
		}
		if !info.IsDir() {
			files = append(files, path)
			continue
		}
		entries, err := os.ReadDir(path)
		if err != nil {
			return nil, fmt.Errorf("reading CRDs: %w", err)
		}
		found := 0
		for _, e := range entries { // ReadDir sorts by name
			if kustomization[e.Name()] {
				continue // kustomize's index of the directory, not a resource
			}
			switch filepath.Ext(e.Name()) {
			case ".yaml", ".yml", ".json":
				if !e.IsDir() {
					files = append(files, filepath.Join(path, e.Name()))
					found++
				}
			}
		}
		if found == 0 {
			return nil, fmt.Errorf("reading CRDs: no .yaml, .yml or .json files in %s", path)
		}
	}

	var crds []*apiextensionsv1.CustomResourceDefinition
	seen := map[string]string{} // CRD name -> file
	for _, file := range files {
		fromFile, err := readCRDFile(file)
		if err != nil {
			return nil, err
		}
		for _, crd := range fromFile {
			if other, dup := seen[crd.Name]; dup {
				return nil, fmt.Errorf("CRD %s is defined in both %s and %s", crd.Name, other, file)
			}
			seen[crd.Name] = file
			crds = append(crds, crd)
		}
	}
	return crds, nil
}

// readCRDFile decodes every CustomResourceDefinition in one multi-document YAML (or JSON) file,
// with spec.conversion removed.
func readCRDFile(path string) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading CRDs: %w", err)
	}
	defer f.Close()
	reader := utilyaml.NewYAMLReader(bufio.NewReader(f))
	var crds []*apiextensionsv1.CustomResourceDefinition
	for doc := 1; ; doc++ {
		data, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return crds, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", path, doc, err)
		}
		if isEmptyDocument(data) {
			continue
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.Unmarshal(data, crd); err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", path, doc, err)
		}
		if gvk := crd.GroupVersionKind(); gvk != apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinition") {
			return nil, fmt.Errorf("%s: document %d is a %s %q, want an %s CustomResourceDefinition",
				path, doc, gvk, crd.Name, apiextensionsv1.SchemeGroupVersion)
		}
		if crd.Name == "" {
			return nil, fmt.Errorf("%s: document %d: CustomResourceDefinition without metadata.name", path, doc)
		}
		crd.Spec.Conversion = nil
		crds = append(crds, crd)
	}
}

// isEmptyDocument tells whether a YAML document holds only blank lines and comments.
func isEmptyDocument(data []byte) bool {
	for line := range bytes.Lines(data) {
		line = bytes.TrimSpace(line)
		if len(line) > 0 && line[0] != '#' {
			return false
		}
	}
	return true
}
