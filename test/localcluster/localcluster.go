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

// Package localcluster starts a real etcd and kube-apiserver as local processes for bosun's
// tests, benchmarks and demo, and installs CRDs into it. There is no kubelet, scheduler or
// controller-manager: objects are stored and served, nothing runs them, and namespaces get
// their default ServiceAccount from CreateNamespace rather than from a controller.
//
// The binaries come from hack/build-control-plane.sh (see DefaultBinDir). Tests that need a
// cluster skip when they are missing, unless RequireClusterEnv is set:
//
//	c, err := localcluster.Start(ctx, localcluster.Options{CRDPaths: []string{crdDir}})
//	if errors.Is(err, localcluster.ErrBinariesMissing) && os.Getenv(localcluster.RequireClusterEnv) == "" {
//		// skip
//	}
//	defer c.Stop()
package localcluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// ErrBinariesMissing is returned (wrapped) by Start when etcd or kube-apiserver is not in the
// binary directory. Nothing has been started or created then.
var ErrBinariesMissing = errors.New("control-plane binaries not found")

const (
	etcdBinary      = "etcd"
	apiserverBinary = "kube-apiserver"

	// readyTimeout bounds the wait for the apiserver's /readyz.
	readyTimeout = 60 * time.Second
	// clientQPS and clientBurst keep client-go's rate limiter out of tests and benchmarks.
	clientQPS   = 1000
	clientBurst = 2000
	// etcdQuotaBytes is etcd's storage quota (its maximum), so benchmarks do not hit "no space".
	etcdQuotaBytes = 8 << 30
	// serviceCIDR is the service IP range; nothing allocates from it but the apiserver needs one.
	serviceCIDR = "10.0.0.0/24"
	// contextName names the cluster, user and context in the kubeconfig.
	contextName = "bosun-local"
)

// Options configures Start. The zero value is usable.
type Options struct {
	// BinDir holds the etcd and kube-apiserver binaries; DefaultBinDir() if empty.
	BinDir string
	// WorkDir holds certificates, etcd's data, logs and the kubeconfig. If empty, a new
	// temporary directory is used and Stop removes it. A given WorkDir is kept; the etcd data
	// and apiserver certificates of an earlier Start in it are removed, so each Start is fresh.
	WorkDir string
	// CRDPaths are files or directories of CRD YAML (multi-document) to install; Start returns
	// once all of them are Established. See InstallCRDs.
	CRDPaths []string
	// Logf, if set, receives progress messages (t.Logf fits).
	Logf func(format string, args ...any)
	// ServiceAccounts turns on the apiserver's ServiceAccount admission plugin, so pods get
	// their ServiceAccount's token mounted as in a real cluster. Pods then also need the
	// kube-root-ca.crt ConfigMap that StartControllerManager's controllers publish; without
	// it (the default) pods get no token and need no controller-manager.
	ServiceAccounts bool
}

// Cluster is a running etcd + kube-apiserver. Stop it when done.
type Cluster struct {
	workDir        string
	removeWorkDir  bool
	kubeconfigPath string
	restConfig     *rest.Config

	binDir string
	etcd   *process
	// apiserverMu guards apiserver, which RestartAPIServer replaces, and apiserverFrozen.
	apiserverMu     sync.Mutex
	apiserver       *process
	apiserverFrozen bool
	// host, servingCertFile and certs are what a restarted apiserver is checked with.
	host            string
	servingCertFile string
	certs           *pki
	// node and tekton run only after StartNode and StartTekton; stoppedNode keeps what the
	// last node touched, for NodeTraces.
	node        *node
	stoppedNode *node
	tekton      *process
	// controllerManager runs only after StartControllerManager.
	controllerManager *process

	stopOnce sync.Once
	stopErr  error
}

// Start starts etcd and kube-apiserver on free loopback ports, waits until the apiserver is
// ready, writes a kubeconfig, installs opts.CRDPaths and creates the default namespace's
// default ServiceAccount. ctx bounds the start only, not the cluster's life. If anything fails
// after a process started, Start stops what it started (and removes a temporary WorkDir) and
// the error quotes the end of the failing process' log.
func Start(ctx context.Context, opts Options) (_ *Cluster, err error) {
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	began := time.Now()

	binDir := opts.BinDir
	if binDir == "" {
		binDir = DefaultBinDir()
	}
	etcdPath, apiserverPath := filepath.Join(binDir, etcdBinary), filepath.Join(binDir, apiserverBinary)
	for _, path := range []string{etcdPath, apiserverPath} {
		if err := checkExecutable(path); err != nil {
			return nil, fmt.Errorf("%w: %v (build them with hack/build-control-plane.sh, or set %s)", ErrBinariesMissing, err, BinDirEnv)
		}
	}
	// Read CRDs before starting anything, so a bad path fails fast.
	crds, err := readCRDs(opts.CRDPaths)
	if err != nil {
		return nil, err
	}

	c := &Cluster{binDir: binDir}
	if opts.WorkDir == "" {
		c.workDir, err = os.MkdirTemp("", "bosun-localcluster-")
		if err != nil {
			return nil, err
		}
		c.removeWorkDir = true
	} else {
		c.workDir, err = filepath.Abs(opts.WorkDir)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(c.workDir, 0o755); err != nil {
			return nil, err
		}
	}
	defer func() {
		if err != nil {
			if stopErr := c.Stop(); stopErr != nil {
				err = errors.Join(err, fmt.Errorf("cleaning up: %w", stopErr))
			}
		}
	}()

	var (
		pkiDir      = filepath.Join(c.workDir, "pki")
		etcdDataDir = filepath.Join(c.workDir, "etcd-data")
		servingDir  = filepath.Join(c.workDir, "apiserver-certs")
	)
	for _, dir := range []string{etcdDataDir, servingDir} {
		if err := os.RemoveAll(dir); err != nil {
			return nil, err
		}
	}
	certs, err := generatePKI(pkiDir, time.Now())
	if err != nil {
		return nil, fmt.Errorf("generating certificates: %w", err)
	}

	ports, err := FreePorts(3)
	if err != nil {
		return nil, err
	}
	etcdClientURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	etcdPeerURL := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	apiserverPort := strconv.Itoa(ports[2])
	host := "https://127.0.0.1:" + apiserverPort

	c.etcd, err = startProcess(etcdBinary, etcdPath, []string{
		"--name=default",
		"--data-dir=" + etcdDataDir,
		"--listen-client-urls=" + etcdClientURL,
		"--advertise-client-urls=" + etcdClientURL,
		"--listen-peer-urls=" + etcdPeerURL,
		"--initial-advertise-peer-urls=" + etcdPeerURL,
		"--initial-cluster=default=" + etcdPeerURL,
		"--unsafe-no-fsync=true",
		"--quota-backend-bytes=" + strconv.Itoa(etcdQuotaBytes),
		"--log-level=warn",
	}, filepath.Join(c.workDir, "etcd.log"))
	if err != nil {
		return nil, err
	}
	logf("localcluster: started etcd (pid %d) at %s", c.etcd.pid(), etcdClientURL)

	// The apiserver retries etcd until it answers, so both start at once.
	c.apiserver, err = startProcess(apiserverBinary, apiserverPath, []string{
		"--etcd-servers=" + etcdClientURL,
		"--bind-address=127.0.0.1",
		"--secure-port=" + apiserverPort,
		"--cert-dir=" + servingDir,
		"--service-cluster-ip-range=" + serviceCIDR,
		"--allow-privileged=true",
		disabledAdmission(opts.ServiceAccounts),
		"--authorization-mode=RBAC",
		"--client-ca-file=" + certs.clientCAFile,
		"--service-account-issuer=" + host + "/",
		"--service-account-key-file=" + certs.saPublicKeyFile,
		"--service-account-signing-key-file=" + certs.saSigningFile,
		"--kubelet-preferred-address-types=InternalIP,Hostname",
		"--max-requests-inflight=2000",
		"--max-mutating-requests-inflight=1000",
		"--enable-priority-and-fairness=false",
		"--v=0",
	}, filepath.Join(c.workDir, "kube-apiserver.log"))
	if err != nil {
		return nil, err
	}
	logf("localcluster: started kube-apiserver (pid %d) at %s", c.apiserver.pid(), host)

	c.host, c.servingCertFile, c.certs = host, filepath.Join(servingDir, "apiserver.crt"), certs
	servingCA, err := c.waitReady(ctx, host, c.servingCertFile, certs)
	if err != nil {
		return nil, err
	}
	logf("localcluster: kube-apiserver ready after %s", time.Since(began).Round(time.Millisecond))

	c.restConfig = &rest.Config{
		Host: host,
		TLSClientConfig: rest.TLSClientConfig{
			CAData:   servingCA,
			CertData: certs.adminCertPEM,
			KeyData:  certs.adminKeyPEM,
		},
		QPS:   clientQPS,
		Burst: clientBurst,
	}
	c.kubeconfigPath = filepath.Join(c.workDir, "kubeconfig")
	if err := writeKubeconfig(c.kubeconfigPath, c.restConfig); err != nil {
		return nil, err
	}

	if err := c.installCRDs(ctx, crds); err != nil {
		return nil, err
	}
	if len(crds) > 0 {
		logf("localcluster: %d CRDs established and ready for use after %s", len(crds), time.Since(began).Round(time.Millisecond))
	}
	if err := c.CreateNamespace(ctx, metav1.NamespaceDefault); err != nil {
		return nil, err
	}
	logf("localcluster: ready in %s; kubeconfig %s", time.Since(began).Round(time.Millisecond), c.kubeconfigPath)
	return c, nil
}

// RESTConfig returns a new copy of the admin config, with QPS and Burst high enough that
// client-go never throttles.
func (c *Cluster) RESTConfig() *rest.Config {
	return rest.CopyConfig(c.restConfig)
}

// KubeconfigPath is a kubeconfig file for the admin user (for kubectl, tkn, and bosun's own
// binaries' --kubeconfig). It embeds the certificates, so it can be copied elsewhere.
func (c *Cluster) KubeconfigPath() string { return c.kubeconfigPath }

// WorkDir is the directory with the logs (etcd.log, kube-apiserver.log), certificates and data.
func (c *Cluster) WorkDir() string { return c.workDir }

// CreateNamespace creates the namespace and its default ServiceAccount (there is no
// controller-manager to do it). Either existing already is fine.
func (c *Cluster) CreateNamespace(ctx context.Context, name string) error {
	client, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		return err
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: name}}
	if _, err := client.CoreV1().ServiceAccounts(name).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating the default ServiceAccount in %s: %w", name, err)
	}
	return nil
}

// Stop stops Tekton's controller and the node if they run, then kube-apiserver and etcd (the other order leaves the apiserver retrying),
// each with SIGTERM and, after 10 s, SIGKILL, then removes a temporary WorkDir. Calling it
// again returns the first call's result.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() {
		var errs []error
		// What runs pods goes first, while the apiserver still answers.
		if err := c.stopTekton(); err != nil {
			errs = append(errs, err)
		}
		if err := c.stopControllerManager(); err != nil {
			errs = append(errs, err)
		}
		if err := c.StopNode(); err != nil {
			errs = append(errs, err)
		}
		// A frozen apiserver would sit on SIGTERM for the whole grace period.
		if err := c.ThawAPIServer(); err != nil {
			errs = append(errs, err)
		}
		c.apiserverMu.Lock()
		apiserver := c.apiserver
		c.apiserverMu.Unlock()
		for _, p := range []*process{apiserver, c.etcd} {
			if p == nil {
				continue
			}
			if err := p.stop(stopGrace); err != nil {
				errs = append(errs, err)
			}
		}
		if c.removeWorkDir && c.workDir != "" {
			if err := os.RemoveAll(c.workDir); err != nil {
				errs = append(errs, err)
			}
		}
		c.stopErr = errors.Join(errs...)
	})
	return c.stopErr
}

// waitReady polls /readyz with the admin certificate until it answers ok, and returns the
// apiserver's self-generated serving certificate (PEM), which clients trust as their CA. It
// fails early if either process exits.
func (c *Cluster) waitReady(ctx context.Context, host, servingCertFile string, certs *pki) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	clientCert, err := tls.X509KeyPair(certs.adminCertPEM, certs.adminKeyPEM)
	if err != nil {
		return nil, err
	}

	var (
		client  *http.Client
		lastErr = errors.New("the apiserver has not written its serving certificate yet")
		ticker  = time.NewTicker(100 * time.Millisecond)
	)
	defer ticker.Stop()
	defer func() {
		if client != nil {
			client.CloseIdleConnections()
		}
	}()
	for {
		for _, p := range []*process{c.etcd, c.apiserver} {
			if err := p.exitedError(); err != nil {
				return nil, err
			}
		}
		if client == nil {
			// The apiserver writes its certificate before it listens; until the file is there
			// and parses, it is read again on the next tick.
			if data, err := os.ReadFile(servingCertFile); err == nil {
				if pool := x509.NewCertPool(); pool.AppendCertsFromPEM(data) {
					client = &http.Client{
						Timeout: 5 * time.Second,
						Transport: &http.Transport{TLSClientConfig: &tls.Config{
							RootCAs:      pool,
							Certificates: []tls.Certificate{clientCert},
							MinVersion:   tls.VersionTLS12,
						}},
					}
				}
			}
		}
		if client != nil {
			if lastErr = checkReadyz(ctx, client, host); lastErr == nil {
				// Read the certificate again: long written by now, even if the first read
				// caught the file half-written (the first block alone still verifies).
				return os.ReadFile(servingCertFile)
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for kube-apiserver at %s to be ready: %w (last: %v); last lines of %s:\n%s",
				host, ctx.Err(), lastErr, c.apiserver.logPath, c.apiserver.logTail())
		case <-ticker.C:
		}
	}
}

// checkReadyz returns nil when GET /readyz answers 200 "ok".
func checkReadyz(ctx context.Context, client *http.Client, host string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, host+"/readyz", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK || string(body) != "ok" {
		return fmt.Errorf("/readyz: %s: %s", resp.Status, body)
	}
	return nil
}

// writeKubeconfig writes a kubeconfig for cfg with the certificates embedded.
func writeKubeconfig(path string, cfg *rest.Config) error {
	kubeconfig := clientcmdapi.NewConfig()
	kubeconfig.Clusters[contextName] = &clientcmdapi.Cluster{
		Server:                   cfg.Host,
		CertificateAuthorityData: cfg.CAData,
	}
	kubeconfig.AuthInfos[contextName] = &clientcmdapi.AuthInfo{
		ClientCertificateData: cfg.CertData,
		ClientKeyData:         cfg.KeyData,
	}
	kubeconfig.Contexts[contextName] = &clientcmdapi.Context{Cluster: contextName, AuthInfo: contextName}
	kubeconfig.CurrentContext = contextName
	if err := clientcmd.WriteToFile(*kubeconfig, path); err != nil {
		return fmt.Errorf("writing kubeconfig: %w", err)
	}
	return nil
}

// FreePorts returns n distinct free TCP ports on 127.0.0.1, for the processes a test starts
// (the cluster's own, and those of workloads on the host network). They are free when
// returned; another process could take one before it is bound.
func FreePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		// Keep every listener open until all are chosen, so the ports differ.
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// checkExecutable returns an error unless path is a regular file with an execute bit.
func checkExecutable(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() || info.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", path)
	}
	return nil
}
