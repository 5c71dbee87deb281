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

package buildcluster

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/bosun-ci/bosun/pkg/config"
)

// DefaultCluster is the cluster of jobs that name none, as in Prow: the controller's own
// cluster unless a kubeconfig defines a context of that name.
const DefaultCluster = config.DefaultCluster

// NameOf returns the name of the cluster a job's spec.cluster means: DefaultCluster when
// it is empty.
func NameOf(cluster string) string {
	if cluster == "" {
		return DefaultCluster
	}
	return cluster
}

// Config is one build cluster as the controller reaches it.
type Config struct {
	// Name is the cluster's name in jobs' spec.cluster: its kubeconfig context's.
	Name string
	// REST reaches its apiserver.
	REST *rest.Config
	// Local is set for the controller's own cluster, the only one where a PipelineRun can
	// have its ProwJob as owner.
	Local bool
	// Source is the kubeconfig file the cluster came from; empty for the local cluster.
	Source string
}

// Configs returns the build clusters, sorted by name: one per context of the kubeconfig
// files found at paths (see LoadKubeconfigs), and DefaultCluster as local, the controller's
// own cluster, unless a kubeconfig defines a context of that name. The remote clusters take
// local's client rate limits and user agent when their kubeconfig sets none, so that every
// cluster gets the limits the controller was given rather than client-go's 5 requests a
// second.
func Configs(local *rest.Config, paths []string) ([]Config, error) {
	remote, err := LoadKubeconfigs(paths)
	if err != nil {
		return nil, err
	}
	configs := make([]Config, 0, len(remote)+1)
	if _, ok := remote[DefaultCluster]; !ok {
		configs = append(configs, Config{Name: DefaultCluster, REST: rest.CopyConfig(local), Local: true})
	}
	for name, c := range remote {
		if c.REST.QPS == 0 && c.REST.Burst == 0 {
			c.REST.QPS, c.REST.Burst = local.QPS, local.Burst
		}
		if c.REST.UserAgent == "" {
			c.REST.UserAgent = local.UserAgent
		}
		c.Name = name
		configs = append(configs, c)
	}
	slices.SortFunc(configs, func(a, b Config) int { return strings.Compare(a.Name, b.Name) })
	return configs, nil
}

// LoadKubeconfigs reads the build clusters' kubeconfigs, as Prow does: each of paths is a
// kubeconfig file, or a directory each of whose files is one (Prow's --kubeconfig-dir; a
// mounted Secret is such a directory). In a directory, subdirectories and entries whose
// names start with "." are skipped (a mounted Secret's "..data" holds a second copy of
// every file), and symbolic links to files are read through (a mounted Secret's files are
// links). Every context of every file is one build cluster, named after the context; the
// current-context is not special. A context defined in two files is an error, as is a
// context that does not resolve to a usable REST config, so a typo fails at start rather
// than when a job runs.
func LoadKubeconfigs(paths []string) (map[string]Config, error) {
	out := map[string]Config{}
	var errs []error
	for _, path := range paths {
		files, err := kubeconfigFiles(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("build cluster kubeconfig %s: %w", path, err))
			continue
		}
		for _, file := range files {
			if err := loadKubeconfig(file, out); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// kubeconfigFiles lists the kubeconfig files at path: path itself if it is a file, else
// the files in it, in lexical order.
func kubeconfigFiles(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		file := filepath.Join(path, e.Name())
		// Stat follows symbolic links: a link to a directory is skipped like a directory.
		info, err := os.Stat(file)
		if err != nil {
			return nil, err
		}
		if info.Mode().IsRegular() {
			files = append(files, file)
		}
	}
	if len(files) == 0 {
		return nil, errors.New("the directory holds no kubeconfig file")
	}
	return files, nil
}

// loadKubeconfig adds the contexts of one kubeconfig file to out.
func loadKubeconfig(file string, out map[string]Config) error {
	kc, err := clientcmd.LoadFromFile(file)
	if err != nil {
		return fmt.Errorf("build cluster kubeconfig %s: %w", file, err)
	}
	// Certificate and key files named relative to the kubeconfig are found beside it.
	if err := clientcmd.ResolveLocalPaths(kc); err != nil {
		return fmt.Errorf("build cluster kubeconfig %s: %w", file, err)
	}
	if len(kc.Contexts) == 0 {
		return fmt.Errorf("build cluster kubeconfig %s: no contexts", file)
	}
	names := make([]string, 0, len(kc.Contexts))
	for name := range kc.Contexts {
		names = append(names, name)
	}
	slices.Sort(names)
	var errs []error
	for _, name := range names {
		if prev, ok := out[name]; ok {
			errs = append(errs, fmt.Errorf("build cluster %q is defined in both %s and %s", name, prev.Source, file))
			continue
		}
		cfg, err := clientcmd.NewNonInteractiveClientConfig(*kc, name, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
		if err != nil {
			errs = append(errs, fmt.Errorf("build cluster %q in %s: %w", name, file, err))
			continue
		}
		out[name] = Config{Name: name, REST: cfg, Source: file}
	}
	return errors.Join(errs...)
}
