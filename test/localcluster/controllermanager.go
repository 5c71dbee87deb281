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
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"time"
)

const controllerManagerBinary = "kube-controller-manager"

// disabledAdmission is the apiserver's --disable-admission-plugins: the ServiceAccount plugin
// is off unless pods are to get tokens (Options.ServiceAccounts).
func disabledAdmission(serviceAccounts bool) string {
	if serviceAccounts {
		return "--disable-admission-plugins="
	}
	return "--disable-admission-plugins=ServiceAccount"
}

// StartControllerManager runs kube-controller-manager against the cluster, for tests that
// install workloads as a user would: Deployments become ReplicaSets and Pods, namespaces get
// their default ServiceAccount and the kube-root-ca.crt ConfigMap (the apiserver's serving
// certificate, so in-cluster clients trust it), deleted namespaces are emptied, and garbage
// collection follows owner references. Stop stops it. The binary comes from
// hack/build-node.sh; ErrNodeUnavailable is returned (wrapped) when it is missing.
func (c *Cluster) StartControllerManager(ctx context.Context, logf func(string, ...any)) error {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if c.controllerManager != nil {
		return errors.New("kube-controller-manager is already started")
	}
	path := filepath.Join(c.binDir, controllerManagerBinary)
	if err := checkExecutable(path); err != nil {
		return fmt.Errorf("%w: %v (run hack/build-node.sh)", ErrNodeUnavailable, err)
	}
	began := time.Now()
	ports, err := FreePorts(1)
	if err != nil {
		return err
	}
	p, err := startProcess(controllerManagerBinary, path, []string{
		"--kubeconfig=" + c.kubeconfigPath,
		"--authentication-kubeconfig=" + c.kubeconfigPath,
		"--authorization-kubeconfig=" + c.kubeconfigPath,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(ports[0]),
		"--leader-elect=false",
		"--root-ca-file=" + c.servingCertFile,
		"--service-account-private-key-file=" + c.certs.saSigningFile,
		"--use-service-account-credentials=false",
		// What workloads installed as a user would need, and no more (no node lifecycle: the
		// node's taints are the test's; no volumes, no cloud).
		"--controllers=deployment-controller,replicaset-controller,garbage-collector-controller,namespace-controller," +
			"serviceaccount-controller,root-ca-certificate-publisher-controller,disruption-controller," +
			"endpoints-controller,endpointslice-controller,pod-garbage-collector-controller",
		"--concurrent-deployment-syncs=5",
		"--v=0",
	}, filepath.Join(c.workDir, "kube-controller-manager.log"))
	if err != nil {
		return err
	}
	c.controllerManager = p
	if err := waitHTTPS(ctx, p, "https://127.0.0.1:"+strconv.Itoa(ports[0])+"/healthz"); err != nil {
		return fmt.Errorf("kube-controller-manager did not become healthy: %w", err)
	}
	logf("localcluster: kube-controller-manager (pid %d) healthy after %s", p.pid(), time.Since(began).Round(time.Millisecond))
	return nil
}

func (c *Cluster) stopControllerManager() error {
	p := c.controllerManager
	if p == nil {
		return nil
	}
	c.controllerManager = nil
	return p.stop(stopGrace)
}
