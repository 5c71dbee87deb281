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
	"bytes"
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"
)

// Faults for the fault suite (test/faults): the apiserver can be frozen, as a process the
// kernel stopped or a machine that stalls, and killed and started again, as a crash and a
// restart; etcd, its data and the certificates stay, so clients keep their kubeconfig.

// APIServerPID is the running kube-apiserver's pid.
func (c *Cluster) APIServerPID() int {
	c.apiserverMu.Lock()
	defer c.apiserverMu.Unlock()
	return c.apiserver.pid()
}

// FreezeAPIServer stops the kube-apiserver with SIGSTOP: its sockets stay open and accept
// connections, but nothing is answered until ThawAPIServer.
func (c *Cluster) FreezeAPIServer() error {
	c.apiserverMu.Lock()
	defer c.apiserverMu.Unlock()
	if err := c.apiserver.exitedError(); err != nil {
		return fmt.Errorf("freeze kube-apiserver: %w", err)
	}
	if err := syscall.Kill(c.apiserver.pid(), syscall.SIGSTOP); err != nil {
		return fmt.Errorf("freeze kube-apiserver (pid %d): %w", c.apiserver.pid(), err)
	}
	c.apiserverFrozen = true
	return nil
}

// ThawAPIServer lets a frozen kube-apiserver run again with SIGCONT. It does nothing when the
// apiserver is not frozen.
func (c *Cluster) ThawAPIServer() error {
	c.apiserverMu.Lock()
	defer c.apiserverMu.Unlock()
	if !c.apiserverFrozen || c.apiserver == nil {
		return nil
	}
	if err := syscall.Kill(c.apiserver.pid(), syscall.SIGCONT); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("thaw kube-apiserver (pid %d): %w", c.apiserver.pid(), err)
	}
	c.apiserverFrozen = false
	return nil
}

// KillAPIServer kills the kube-apiserver with SIGKILL, as a crash would, and waits until it
// is gone. etcd keeps running; RestartAPIServer starts the apiserver again.
func (c *Cluster) KillAPIServer() error {
	c.apiserverMu.Lock()
	defer c.apiserverMu.Unlock()
	p := c.apiserver
	select {
	case <-p.done:
		return fmt.Errorf("kill kube-apiserver: %w", p.exitedError())
	default:
	}
	if err := signalGroup(p.pid(), syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill kube-apiserver (pid %d): %w", p.pid(), err)
	}
	c.apiserverFrozen = false
	select {
	case <-p.done:
		return nil
	case <-time.After(killWait):
		return fmt.Errorf("kube-apiserver (pid %d) still running %s after SIGKILL", p.pid(), killWait)
	}
}

// RestartAPIServer starts the kube-apiserver again after KillAPIServer, with the same flags,
// ports, etcd and certificates, and waits (bounded by ctx and 60 s) until it is ready. Its
// serving certificate must be the one it made when the cluster started (the apiserver reuses
// the files in its cert dir), so that RESTConfig and KubeconfigPath stay valid; a different
// one is an error.
func (c *Cluster) RestartAPIServer(ctx context.Context) error {
	c.apiserverMu.Lock()
	old := c.apiserver
	if old.exitedError() == nil {
		c.apiserverMu.Unlock()
		return fmt.Errorf("restart kube-apiserver: pid %d still runs; kill it first", old.pid())
	}
	p, err := startProcessEnv(old.name, old.path, old.args, old.env, old.logPath)
	if err != nil {
		c.apiserverMu.Unlock()
		return fmt.Errorf("restart kube-apiserver: %w", err)
	}
	c.apiserver = p
	c.apiserverMu.Unlock()

	servingCA, err := c.waitReady(ctx, c.host, c.servingCertFile, c.certs)
	if err != nil {
		return fmt.Errorf("restart kube-apiserver: %w", err)
	}
	if !bytes.Equal(servingCA, c.restConfig.CAData) {
		return fmt.Errorf("restart kube-apiserver: it serves a new certificate (%s changed), so existing clients cannot trust it", c.servingCertFile)
	}
	return nil
}
