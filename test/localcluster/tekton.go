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
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"
)

// TektonNamespace is where Tekton's controller reads its ConfigMaps.
const TektonNamespace = "tekton-pipelines"

// tektonPodBinaries are Tekton's programs that run inside pods, each shipped as an image.
var tektonPodBinaries = []string{"entrypoint", "nop", "sidecarlogresults", "workingdirinit"}

// tektonFeatureFlags override Tekton's shipped feature-flags for a node without the parts a
// full cluster has: no StatefulSets for the affinity assistant (no controller-manager), no
// sidecar injector to wait for, no credentials or CloudEvents sink to set up.
var tektonFeatureFlags = map[string]string{
	"coschedule": "disabled",
	"running-in-environment-with-injected-sidecars": "false",
	"disable-creds-init":                            "true",
	"send-cloudevents-for-runs":                     "false",
}

// StartTekton runs Tekton Pipelines' controller (built by hack/build-node.sh from the pinned
// module) against the cluster, with its ConfigMaps from the same module and, when the node
// runs, its pod images imported. Tekton's admission webhook does not run (no Service can reach
// it without kube-proxy): the controller applies defaults itself. Stop stops it first.
func (c *Cluster) StartTekton(ctx context.Context, logf func(string, ...any)) (err error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if c.tekton != nil {
		return errors.New("tekton is already started")
	}
	began := time.Now()
	dir := filepath.Join(c.binDir, "tekton")
	var missing []string
	for _, name := range append([]string{"controller"}, tektonPodBinaries...) {
		if checkExecutable(filepath.Join(dir, name)) != nil {
			missing = append(missing, filepath.Join(dir, name))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: missing %s (run hack/build-node.sh)", ErrNodeUnavailable, strings.Join(missing, ", "))
	}
	crdDir, err := TektonCRDDir()
	if err != nil {
		return err
	}
	configDir := filepath.Dir(crdDir)

	if c.node != nil {
		images := make([]imageSpec, 0, len(tektonPodBinaries))
		for _, name := range tektonPodBinaries {
			images = append(images, imageSpec{
				name:       tektonImagePrefix + name + ":local",
				entrypoint: []string{"/ko-app/" + name},
				files:      map[string]string{"ko-app/" + name: filepath.Join(dir, name)},
				dirs:       []string{"tmp"},
			})
		}
		if err := c.node.importImages(ctx, images); err != nil {
			return err
		}
	}
	if err := c.CreateNamespace(ctx, TektonNamespace); err != nil {
		return err
	}
	if err := c.applyTektonConfig(ctx, configDir); err != nil {
		return err
	}

	ports, err := FreePorts(2)
	if err != nil {
		return err
	}
	probesPort, metricsPort := strconv.Itoa(ports[0]), strconv.Itoa(ports[1])
	args := []string{"-kubeconfig=" + c.kubeconfigPath, "-disable-ha"}
	for _, name := range tektonPodBinaries {
		args = append(args, "-"+name+"-image="+tektonImagePrefix+name+":local")
	}
	args = append(args, "-shell-image="+BusyboxImage, "-shell-image-win="+BusyboxImage)
	p, err := startProcessEnv("tekton-controller", filepath.Join(dir, "controller"), args, []string{
		"SYSTEM_NAMESPACE=" + TektonNamespace,
		"KUBERNETES_MIN_VERSION=v1.28.0",
		"CONFIG_DEFAULTS_NAME=config-defaults",
		"CONFIG_LOGGING_NAME=config-logging",
		"CONFIG_OBSERVABILITY_NAME=config-observability",
		"CONFIG_FEATURE_FLAGS_NAME=feature-flags",
		"CONFIG_LEADERELECTION_NAME=config-leader-election-controller",
		"CONFIG_SPIRE=config-spire",
		"METRICS_DOMAIN=tekton.dev/pipeline",
		"METRICS_PROMETHEUS_PORT=" + metricsPort,
		"PROBES_PORT=" + probesPort,
	}, filepath.Join(c.workDir, "tekton-controller.log"))
	if err != nil {
		return err
	}
	c.tekton = p
	defer func() {
		if err != nil {
			err = errors.Join(err, c.stopTekton())
		}
	}()
	if err := waitHTTP(ctx, p, "http://127.0.0.1:"+probesPort+"/readiness"); err != nil {
		return err
	}
	logf("localcluster: Tekton controller up after %s (log %s)", time.Since(began).Round(time.Millisecond), p.logPath)
	return nil
}

// applyTektonConfig creates or replaces the config-*.yaml ConfigMaps of Tekton's release,
// with tektonFeatureFlags applied.
func (c *Cluster) applyTektonConfig(ctx context.Context, configDir string) error {
	client, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(configDir, "config-*.yaml"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no config-*.yaml in %s", configDir)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		var cm corev1.ConfigMap
		if err := yaml.Unmarshal(data, &cm); err != nil {
			return fmt.Errorf("reading %s: %w", file, err)
		}
		if cm.Kind != "ConfigMap" {
			continue
		}
		cm.Namespace = TektonNamespace
		if cm.Name == "feature-flags" {
			if cm.Data == nil {
				cm.Data = map[string]string{}
			}
			for k, v := range tektonFeatureFlags {
				cm.Data[k] = v
			}
		}
		_, err = client.CoreV1().ConfigMaps(TektonNamespace).Create(ctx, &cm, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			_, err = client.CoreV1().ConfigMaps(TektonNamespace).Update(ctx, &cm, metav1.UpdateOptions{})
		}
		if err != nil {
			return fmt.Errorf("applying ConfigMap %s from %s: %w", cm.Name, file, err)
		}
	}
	return nil
}

func (c *Cluster) stopTekton() error {
	p := c.tekton
	if p == nil {
		return nil
	}
	c.tekton = nil
	return p.stop(stopGrace)
}

// waitHTTP polls url until it answers 200, failing early if p exits.
func waitHTTP(ctx context.Context, p *process, url string) error {
	return waitHealthy(ctx, p, url, &http.Client{Timeout: 2 * time.Second})
}

// waitHTTPS is waitHTTP for a local component serving its self-signed certificate: only its
// health is asked, so the certificate is not checked.
func waitHTTPS(ctx context.Context, p *process, url string) error {
	transport := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // a local health check
	return waitHealthy(ctx, p, url, &http.Client{Timeout: 2 * time.Second, Transport: transport})
}

func waitHealthy(ctx context.Context, p *process, url string, client *http.Client) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for {
		if err := p.exitedError(); err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s at %s: %w; last lines of %s:\n%s", p.name, url, ctx.Err(), p.logPath, p.logTail())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
