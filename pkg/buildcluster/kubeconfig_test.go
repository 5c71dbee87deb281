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
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// writeKubeconfig writes a kubeconfig with one context per name, each reaching
// https://<name>.example:6443 with a token, and returns its path.
func writeKubeconfig(t *testing.T, path string, names ...string) string {
	t.Helper()
	kc := clientcmdapi.NewConfig()
	for _, name := range names {
		kc.Clusters[name] = &clientcmdapi.Cluster{Server: "https://" + name + ".example:6443"}
		kc.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: "token-" + name}
		kc.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name}
	}
	if len(names) > 0 {
		kc.CurrentContext = names[0]
	}
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func local() *rest.Config {
	return &rest.Config{Host: "https://local.example:6443", QPS: 200, Burst: 400, UserAgent: "bosun-controller"}
}

// summary renders configs as "name host local source-base".
func summary(configs []Config) []string {
	var out []string
	for _, c := range configs {
		src := "-"
		if c.Source != "" {
			src = filepath.Base(c.Source)
		}
		kind := "remote"
		if c.Local {
			kind = "local"
		}
		out = append(out, strings.Join([]string{c.Name, c.REST.Host, kind, src}, " "))
	}
	return out
}

func TestConfigs(t *testing.T) {
	dir := t.TempDir()
	file := writeKubeconfig(t, filepath.Join(dir, "build01.yaml"), "build01", "build02")
	withDefault := writeKubeconfig(t, filepath.Join(dir, "with-default.yaml"), "default", "build03")

	// A directory as a mounted Secret has it: files are links into a hidden timestamped
	// directory, "..data" links to it, and stray subdirectories are ignored.
	secret := filepath.Join(dir, "secret")
	hidden := filepath.Join(secret, "..2026_03_01_10_00_00.000000001")
	if err := os.MkdirAll(filepath.Join(secret, "subdir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(hidden, 0o755); err != nil {
		t.Fatal(err)
	}
	writeKubeconfig(t, filepath.Join(hidden, "kubeconfig-a"), "build04")
	writeKubeconfig(t, filepath.Join(hidden, "kubeconfig-b"), "build05")
	writeKubeconfig(t, filepath.Join(secret, "subdir", "nested"), "nested")
	for _, link := range [][2]string{
		{filepath.Base(hidden), filepath.Join(secret, "..data")},
		{filepath.Join("..data", "kubeconfig-a"), filepath.Join(secret, "kubeconfig-a")},
		{filepath.Join("..data", "kubeconfig-b"), filepath.Join(secret, "kubeconfig-b")},
	} {
		if err := os.Symlink(link[0], link[1]); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name  string
		paths []string
		want  []string
	}{{
		name: "no kubeconfig: only the controller's own cluster, as default",
		want: []string{"default https://local.example:6443 local -"},
	}, {
		name:  "a file: each context is a cluster, beside the local default",
		paths: []string{file},
		want: []string{
			"build01 https://build01.example:6443 remote build01.yaml",
			"build02 https://build02.example:6443 remote build01.yaml",
			"default https://local.example:6443 local -",
		},
	}, {
		name:  "a kubeconfig defining default replaces the local cluster",
		paths: []string{withDefault},
		want: []string{
			"build03 https://build03.example:6443 remote with-default.yaml",
			"default https://default.example:6443 remote with-default.yaml",
		},
	}, {
		name:  "a mounted Secret's directory: its files, not the hidden copies or subdirectories",
		paths: []string{secret},
		want: []string{
			"build04 https://build04.example:6443 remote kubeconfig-a",
			"build05 https://build05.example:6443 remote kubeconfig-b",
			"default https://local.example:6443 local -",
		},
	}, {
		name:  "files and directories together",
		paths: []string{file, secret},
		want: []string{
			"build01 https://build01.example:6443 remote build01.yaml",
			"build02 https://build02.example:6443 remote build01.yaml",
			"build04 https://build04.example:6443 remote kubeconfig-a",
			"build05 https://build05.example:6443 remote kubeconfig-b",
			"default https://local.example:6443 local -",
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			configs, err := Configs(local(), tc.paths)
			if err != nil {
				t.Fatalf("Configs: %v", err)
			}
			if diff := cmp.Diff(tc.want, summary(configs)); diff != "" {
				t.Errorf("clusters (-want, +got):\n%s", diff)
			}
			for _, c := range configs {
				if c.REST.QPS != 200 || c.REST.Burst != 400 || c.REST.UserAgent != "bosun-controller" {
					t.Errorf("%s: QPS %v burst %d user agent %q, want the local cluster's", c.Name, c.REST.QPS, c.REST.Burst, c.REST.UserAgent)
				}
				if !c.Local && c.REST.BearerToken != "token-"+c.Name {
					t.Errorf("%s: token %q, want its kubeconfig's", c.Name, c.REST.BearerToken)
				}
			}
		})
	}
}

func TestConfigsRelativeCertificatePaths(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ca.crt"), []byte("not checked here"), 0o600); err != nil {
		t.Fatal(err)
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters["c"] = &clientcmdapi.Cluster{Server: "https://c.example", CertificateAuthority: "ca.crt"}
	kc.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: "t"}
	kc.Contexts["build01"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u"}
	path := filepath.Join(dir, "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	// Loaded from elsewhere, as the controller's working directory is.
	t.Chdir(t.TempDir())
	got, err := LoadKubeconfigs([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "ca.crt"); got["build01"].REST.CAFile != want {
		t.Errorf("CA file %q, want %q (beside the kubeconfig)", got["build01"].REST.CAFile, want)
	}
}

func TestConfigsErrors(t *testing.T) {
	dir := t.TempDir()
	a := writeKubeconfig(t, filepath.Join(dir, "a.yaml"), "build01")
	b := writeKubeconfig(t, filepath.Join(dir, "b.yaml"), "build01")
	empty := writeKubeconfig(t, filepath.Join(dir, "empty.yaml"))
	broken := filepath.Join(dir, "broken.yaml")
	if err := os.WriteFile(broken, []byte("contexts: [: nope"), 0o600); err != nil {
		t.Fatal(err)
	}
	dangling := clientcmdapi.NewConfig()
	dangling.Contexts["build09"] = &clientcmdapi.Context{Cluster: "missing", AuthInfo: "missing"}
	danglingPath := filepath.Join(dir, "dangling.yaml")
	if err := clientcmd.WriteToFile(*dangling, danglingPath); err != nil {
		t.Fatal(err)
	}
	emptyDir := filepath.Join(dir, "empty-dir")
	if err := os.Mkdir(emptyDir, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		paths []string
		want  []string // substrings of the error
	}{
		{name: "context in two files", paths: []string{a, b}, want: []string{`build cluster "build01" is defined in both`, "a.yaml", "b.yaml"}},
		{name: "missing file", paths: []string{filepath.Join(dir, "nope")}, want: []string{"nope", "no such file"}},
		{name: "no contexts", paths: []string{empty}, want: []string{"empty.yaml: no contexts"}},
		{name: "not YAML", paths: []string{broken}, want: []string{"broken.yaml"}},
		{name: "context without its cluster", paths: []string{danglingPath}, want: []string{`build cluster "build09" in`, "dangling.yaml"}},
		{name: "empty directory", paths: []string{emptyDir}, want: []string{"empty-dir", "no kubeconfig file"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Configs(local(), tc.paths)
			if err == nil {
				t.Fatal("Configs succeeded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}
