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
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// ErrNodeUnavailable is returned (wrapped) by StartNode when this machine cannot run a node:
// not root, or containerd, runc, the CNI plugins, kubelet, kube-scheduler or busybox missing
// (hack/build-node.sh provides them). Nothing has been started then.
var ErrNodeUnavailable = errors.New("a local node cannot run here")

// RequireNodeEnv, when set, makes node tests fail instead of skip when ErrNodeUnavailable.
const RequireNodeEnv = "BOSUN_REQUIRE_NODE"

const (
	// NodeName is the one node's name.
	NodeName = "bosun-node"
	// nodeLockPath serialises nodes on a machine: cgroups, the bridge and the kubelet's fixed
	// host paths cannot be shared by two kubelets.
	nodeLockPath = "/run/bosun-localnode.lock"
	// bridgeName and podSubnet are the CNI bridge network's; unusual enough not to clash.
	bridgeName = "bosunbr0"
	podSubnet  = "10.88.99.0/24"
	// cniBinDir is where Debian's containernetworking-plugins puts them.
	cniBinDir = "/usr/lib/cni"
	// nodeReadyTimeout bounds the wait for the node's Ready condition (8-17 s measured).
	nodeReadyTimeout = 120 * time.Second
)

// hostPaths are the places outside the work dir that a kubelet or containerd writes to
// whatever their configuration; StopNode removes the ones that did not exist before.
var hostPaths = []string{"/var/lib/kubelet", "/var/log/containers", "/var/log/pods", "/var/lib/cni", "/run/containerd", "/etc/cni"}

// node is the running kubelet + containerd + kube-scheduler and what they touched.
type node struct {
	dir       string
	socket    string
	lock      *os.File
	ctr       string
	preexist  map[string]bool
	processes []*process // started order: containerd, kubelet, kube-scheduler
	// leftover is what traces() found right after StopNode's clean-up.
	leftover []string
}

// StartNode turns the cluster into a one-node cluster where pods really run: containerd with
// runc and a CNI bridge, a kubelet registered as NodeName and kube-scheduler. Images come from
// host files (see BusyboxImage); nothing is pulled. It needs root. Stop (or StopNode) tears
// it all down, including what it left outside the work dir: mounts, cgroups, the bridge,
// the kubelet's host paths and containerd's processes.
func (c *Cluster) StartNode(ctx context.Context, logf func(string, ...any)) (err error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if c.node != nil {
		return errors.New("the node is already started")
	}
	began := time.Now()
	bins, err := nodeBinaries(c.binDir)
	if err != nil {
		return err
	}
	lock, err := lockNode(ctx)
	if err != nil {
		return err
	}
	n := &node{dir: filepath.Join(c.workDir, "node"), lock: lock, ctr: bins["ctr"], preexist: map[string]bool{}}
	n.socket = filepath.Join(n.dir, "containerd", "containerd.sock")
	// A node that died without StopNode (its test binary killed) left its traces; the lock
	// file names its directory. Holding the lock, nothing else uses them.
	if stale := readLockedDir(lock); stale != "" && stale != n.dir {
		if errs := (&node{dir: stale}).removeTraces(); len(errs) > 0 {
			logf("localcluster: cleaning the node a crashed run left in %s: %v", stale, errors.Join(errs...))
		}
	}
	for _, p := range hostPaths {
		_, statErr := os.Stat(p)
		n.preexist[p] = statErr == nil
	}
	for _, p := range cgroupRoots() {
		n.preexist[p] = true
	}
	if err := writeLockedDir(lock, n.dir); err != nil {
		lock.Close()
		return err
	}
	c.node = n
	defer func() {
		if err != nil {
			err = errors.Join(err, c.StopNode())
		}
	}()

	for _, d := range []string{"containerd", "cni/net.d", "cni/ipam", "kubelet/root", "kubelet/pki", "kubelet/pods-logs", "kubelet/volume-plugins", "images"} {
		if err := os.MkdirAll(filepath.Join(n.dir, d), 0o755); err != nil {
			return err
		}
	}
	nodeIP, err := hostIPv4()
	if err != nil {
		return err
	}
	ports, err := FreePorts(2)
	if err != nil {
		return err
	}
	kubeletPort, schedulerPort := ports[0], ports[1]

	// containerd, with the local images imported.
	containerdConfig := filepath.Join(n.dir, "containerd", "config.toml")
	if err := os.WriteFile(containerdConfig, []byte(containerdConfigTOML(n.dir)), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(n.dir, "cni", "net.d", "10-bosun-bridge.conflist"), []byte(cniConflist(n.dir)), 0o644); err != nil {
		return err
	}
	containerd, err := startProcess("containerd", bins["containerd"], []string{"--config", containerdConfig}, filepath.Join(c.workDir, "containerd.log"))
	if err != nil {
		return err
	}
	n.processes = append(n.processes, containerd)
	if err := n.waitContainerd(ctx, containerd); err != nil {
		return err
	}
	applets, err := busyboxApplets(bins["busybox"])
	if err != nil {
		return err
	}
	images := []imageSpec{
		busyboxImage(BusyboxImage, bins["busybox"], applets, []string{"/bin/sh"}),
		busyboxImage(pauseImage, bins["busybox"], []string{"sleep"}, []string{"/bin/sleep", "2147483647"}),
	}
	if err := n.importImages(ctx, images); err != nil {
		return err
	}
	logf("localcluster: containerd up, images imported after %s", time.Since(began).Round(time.Millisecond))

	// kubelet and kube-scheduler.
	kubeletConfig := filepath.Join(n.dir, "kubelet", "config.yaml")
	if err := os.WriteFile(kubeletConfig, []byte(kubeletConfigYAML(n.dir, n.socket, nodeIP, kubeletPort)), 0o644); err != nil {
		return err
	}
	kubelet, err := startProcess("kubelet", bins["kubelet"], []string{
		"--config=" + kubeletConfig,
		"--kubeconfig=" + c.kubeconfigPath,
		"--root-dir=" + filepath.Join(n.dir, "kubelet", "root"),
		"--cert-dir=" + filepath.Join(n.dir, "kubelet", "pki"),
		"--hostname-override=" + NodeName,
		"--node-ip=" + nodeIP,
		"--v=1",
	}, filepath.Join(c.workDir, "kubelet.log"))
	if err != nil {
		return err
	}
	n.processes = append(n.processes, kubelet)
	scheduler, err := startProcess("kube-scheduler", bins["kube-scheduler"], []string{
		"--kubeconfig=" + c.kubeconfigPath,
		"--authentication-kubeconfig=" + c.kubeconfigPath,
		"--authorization-kubeconfig=" + c.kubeconfigPath,
		"--leader-elect=false",
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(schedulerPort),
	}, filepath.Join(c.workDir, "kube-scheduler.log"))
	if err != nil {
		return err
	}
	n.processes = append(n.processes, scheduler)
	if err := c.waitNodeReady(ctx, n); err != nil {
		return err
	}
	logf("localcluster: node %s Ready after %s (kubelet log %s)", NodeName, time.Since(began).Round(time.Millisecond), kubelet.logPath)
	return nil
}

// nodeBinaries finds the node's programs, or says what is missing.
func nodeBinaries(binDir string) (map[string]string, error) {
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("%w: containerd and the kubelet need root", ErrNodeUnavailable)
	}
	bins := map[string]string{}
	var missing []string
	for _, name := range []string{"containerd", "ctr", "runc"} {
		path, err := exec.LookPath(name)
		if err != nil {
			missing = append(missing, name)
			continue
		}
		bins[name] = path
	}
	for _, name := range []string{"kubelet", "kube-scheduler", "busybox"} {
		path := filepath.Join(binDir, name)
		if checkExecutable(path) != nil {
			missing = append(missing, path)
			continue
		}
		bins[name] = path
	}
	for _, name := range []string{"bridge", "host-local", "loopback"} {
		if checkExecutable(filepath.Join(cniBinDir, name)) != nil {
			missing = append(missing, filepath.Join(cniBinDir, name))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: missing %s (run hack/build-node.sh)", ErrNodeUnavailable, strings.Join(missing, ", "))
	}
	return bins, nil
}

// lockNode takes the machine-wide node lock, waiting while another node holds it (test
// packages run in parallel; their nodes take turns).
func lockNode(ctx context.Context) (*os.File, error) {
	f, err := os.OpenFile(nodeLockPath, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening the node lock: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", nodeLockPath, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("another local node runs on this machine (lock %s held): %w", nodeLockPath, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// readLockedDir returns the node directory recorded in the lock file, if any.
func readLockedDir(lock *os.File) string {
	data := make([]byte, 4096)
	n, _ := lock.ReadAt(data, 0)
	return strings.TrimSpace(string(data[:n]))
}

// writeLockedDir records the running node's directory in the lock file.
func writeLockedDir(lock *os.File, dir string) error {
	if err := lock.Truncate(0); err != nil {
		return fmt.Errorf("writing the node lock: %w", err)
	}
	if _, err := lock.WriteAt([]byte(dir), 0); err != nil {
		return fmt.Errorf("writing the node lock: %w", err)
	}
	return nil
}

// hostIPv4 is the node's address: the kubelet refuses a loopback one.
func hostIPv4() (string, error) {
	ifaces, err := net.Interfaces()
	if err != nil {
		return "", fmt.Errorf("listing interfaces: %w", err)
	}
	for _, iface := range ifaces {
		if iface.Flags&net.FlagUp == 0 || iface.Flags&net.FlagLoopback != 0 || iface.Name == bridgeName {
			continue
		}
		addrs, err := iface.Addrs()
		if err != nil {
			continue
		}
		for _, addr := range addrs {
			if ipnet, ok := addr.(*net.IPNet); ok && ipnet.IP.To4() != nil && ipnet.IP.IsGlobalUnicast() {
				return ipnet.IP.String(), nil
			}
		}
	}
	return "", fmt.Errorf("%w: no non-loopback IPv4 address for the node", ErrNodeUnavailable)
}

func (n *node) ctrCommand(ctx context.Context, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, n.ctr, append([]string{"--address", n.socket, "--namespace", "k8s.io"}, args...)...)
}

func (n *node) waitContainerd(ctx context.Context, p *process) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		if err := p.exitedError(); err != nil {
			return err
		}
		if _, err := os.Stat(n.socket); err == nil {
			if err := n.ctrCommand(ctx, "version").Run(); err == nil {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for containerd: %w; last lines of %s:\n%s", ctx.Err(), p.logPath, p.logTail())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// importImages builds each image as an OCI archive and imports it into containerd's CRI
// namespace, where the kubelet looks.
func (n *node) importImages(ctx context.Context, images []imageSpec) error {
	for i, spec := range images {
		path := filepath.Join(n.dir, "images", strconv.Itoa(i)+".tar")
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := writeOCIArchive(f, spec); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		if out, err := n.ctrCommand(ctx, "images", "import", path).CombinedOutput(); err != nil {
			return fmt.Errorf("importing image %s: %w: %s", spec.name, err, out)
		}
	}
	return nil
}

// busyboxApplets lists the applets the busybox binary has.
func busyboxApplets(busybox string) ([]string, error) {
	out, err := exec.Command(busybox, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("listing busybox applets: %w", err)
	}
	return strings.Fields(string(out)), nil
}

func (c *Cluster) waitNodeReady(ctx context.Context, n *node) error {
	client, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, nodeReadyTimeout)
	defer cancel()
	lastState := "not registered"
	for {
		for _, p := range n.processes {
			if err := p.exitedError(); err != nil {
				return err
			}
		}
		if node, err := client.CoreV1().Nodes().Get(ctx, NodeName, metav1.GetOptions{}); err == nil {
			lastState = "registered, not Ready"
			if nodeReady(node) {
				return removeNotReadyTaints(ctx, client, node)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for node %s to be Ready (%s): %w; last lines of %s:\n%s",
				NodeName, lastState, ctx.Err(), n.processes[1].logPath, n.processes[1].logTail())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func nodeReady(node *corev1.Node) bool {
	for _, cond := range node.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			return cond.Status == corev1.ConditionTrue
		}
	}
	return false
}

// removeNotReadyTaints does what the node lifecycle controller would: there is no
// kube-controller-manager, so the taint the kubelet registers with would stay forever.
func removeNotReadyTaints(ctx context.Context, client kubernetes.Interface, node *corev1.Node) error {
	kept := node.Spec.Taints[:0:0]
	for _, taint := range node.Spec.Taints {
		if taint.Key != corev1.TaintNodeNotReady {
			kept = append(kept, taint)
		}
	}
	if len(kept) == len(node.Spec.Taints) {
		return nil
	}
	node = node.DeepCopy()
	node.Spec.Taints = kept
	if _, err := client.CoreV1().Nodes().Update(ctx, node, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("removing the not-ready taint from %s: %w", node.Name, err)
	}
	return nil
}

// StopNode tears the node down and removes every host-wide trace it left: containers (killed
// through containerd), containerd's shims, mounts under the work dir, pod cgroups, the CNI
// bridge, and the kubelet's host paths that did not exist before. It is a no-op without a
// node; Stop calls it first.
func (c *Cluster) StopNode() error {
	n := c.node
	if n == nil {
		return nil
	}
	c.node = nil
	c.stoppedNode = n
	var errs []error
	// The kubelet and scheduler first, so nothing restarts what is killed next.
	for i := len(n.processes) - 1; i >= 1; i-- {
		if err := n.processes[i].stop(stopGrace); err != nil {
			errs = append(errs, err)
		}
	}
	if len(n.processes) > 0 {
		if err := n.killContainers(); err != nil {
			errs = append(errs, err)
		}
		if err := n.processes[0].stop(stopGrace); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, n.removeTraces()...)
	// Checked while the lock is held: once it is released, the next node (another test
	// package's) makes its own pod cgroups and bridge, which are not this node's traces.
	n.leftover = n.traces()
	if n.lock != nil {
		if len(errs) == 0 {
			_ = writeLockedDir(n.lock, "") // clean: nothing for the next node to recover
		}
		n.lock.Close() // closing releases the flock
	}
	return errors.Join(errs...)
}

// killContainers kills every task containerd runs and deletes the containers, so their shims
// exit and their mounts can go.
func (n *node) killContainers() error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	list := func(what string) []string {
		out, err := n.ctrCommand(ctx, what, "ls", "-q").Output()
		if err != nil {
			return nil
		}
		return strings.Fields(string(out))
	}
	for _, task := range list("tasks") {
		_ = n.ctrCommand(ctx, "tasks", "kill", "--signal", "SIGKILL", task).Run()
	}
	for _, task := range list("tasks") {
		_ = n.ctrCommand(ctx, "tasks", "delete", "--force", task).Run()
	}
	for _, container := range list("containers") {
		_ = n.ctrCommand(ctx, "containers", "delete", container).Run()
	}
	if left := list("tasks"); len(left) > 0 {
		return fmt.Errorf("containerd still runs tasks %v", left)
	}
	return nil
}

// removeTraces removes what the node leaves outside its processes, what NodeTraces checks:
// stray processes (containerd's shims), the containers in pod cgroups and the cgroups, mounts
// under its directory, the bridge, the kubelet's host paths that did not exist before, and
// the directory. A node found stale after a crash has no preexist record (nil): its host
// paths are left, since whether they were there before it is not known.
func (n *node) removeTraces() []error {
	var errs []error
	for _, pid := range n.strayProcesses() {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	for _, root := range cgroupRoots() {
		if !n.preexist[root] {
			if err := removeCgroupTree(root); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := unmountUnder(n.dir); err != nil {
		errs = append(errs, err)
	}
	if _, err := net.InterfaceByName(bridgeName); err == nil {
		if out, err := exec.Command("ip", "link", "delete", bridgeName).CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("deleting bridge %s: %w: %s", bridgeName, err, out))
		}
	}
	if n.preexist != nil {
		for _, p := range hostPaths {
			if n.preexist[p] {
				continue
			}
			if err := unmountUnder(p); err != nil {
				errs = append(errs, err)
			}
			if err := os.RemoveAll(p); err != nil {
				errs = append(errs, err)
			}
		}
	}
	// Everything under the directory is unmounted now.
	if err := os.RemoveAll(n.dir); err != nil {
		errs = append(errs, fmt.Errorf("removing %s: %w", n.dir, err))
	}
	return errs
}

// NodeTraces lists what the last node left on the host after StopNode (or Stop): processes,
// mounts, pod cgroups, the bridge and host paths it created, as StopNode found them before it
// let another node start. Empty means clean.
func (c *Cluster) NodeTraces() []string {
	if c.stoppedNode == nil {
		return nil
	}
	return c.stoppedNode.leftover
}

func (n *node) traces() []string {
	var left []string
	for _, pid := range n.strayProcesses() {
		left = append(left, fmt.Sprintf("process %d", pid))
	}
	for _, m := range mountsUnder(n.dir) {
		left = append(left, "mount "+m)
	}
	for _, root := range cgroupRoots() {
		if !n.preexist[root] {
			left = append(left, "cgroup "+root)
		}
	}
	if _, err := net.InterfaceByName(bridgeName); err == nil {
		left = append(left, "bridge "+bridgeName)
	}
	for _, p := range hostPaths {
		if _, err := os.Stat(p); err == nil && !n.preexist[p] {
			left = append(left, "path "+p)
		}
	}
	return left
}

// strayProcesses are processes whose command line names the node's directory: containerd's
// shims and the containers they run outlive containerd otherwise.
func (n *node) strayProcesses() []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmdline, []byte(n.dir)) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// mountsUnder lists mount points at or below dir, deepest first.
func mountsUnder(dir string) []string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var mounts []string
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMountPath(fields[4])
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			mounts = append(mounts, mp)
		}
	}
	// A mount below another has the longer path: longest first unmounts children before
	// their parents.
	sort.SliceStable(mounts, func(i, j int) bool { return len(mounts[i]) > len(mounts[j]) })
	return mounts
}

// unescapeMountPath undoes mountinfo's octal escapes (\040 for a space, ...).
func unescapeMountPath(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func unmountUnder(dir string) error {
	var errs []error
	for _, m := range mountsUnder(dir) {
		if err := syscall.Unmount(m, 0); err != nil {
			if err := syscall.Unmount(m, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) {
				errs = append(errs, fmt.Errorf("unmounting %s: %w", m, err))
			}
		}
	}
	return errors.Join(errs...)
}

// cgroupRoots are the pod cgroup trees that exist now: the kubelet's "kubepods" (cgroupfs
// driver) in each v1 hierarchy or in the v2 root.
func cgroupRoots() []string {
	var roots []string
	for _, pattern := range []string{"/sys/fs/cgroup/kubepods", "/sys/fs/cgroup/*/kubepods"} {
		matches, _ := filepath.Glob(pattern)
		roots = append(roots, matches...)
	}
	return roots
}

// removeCgroupTree removes a cgroup directory tree bottom-up. Cgroup dirs only go with rmdir
// once empty, so whatever still runs in them (a container whose shim died) is killed first.
func removeCgroupTree(root string) error {
	var dirs []string
	_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, path)
		}
		return nil
	})
	killed := false
	for _, dir := range dirs {
		procs, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
		if err != nil {
			continue
		}
		for _, field := range strings.Fields(string(procs)) {
			if pid, err := strconv.Atoi(field); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
				killed = true
			}
		}
	}
	var lastErr error
	for attempt := 0; attempt < 50; attempt++ {
		lastErr = nil
		for i := len(dirs) - 1; i >= 0; i-- {
			if err := syscall.Rmdir(dirs[i]); err != nil && !errors.Is(err, syscall.ENOENT) {
				lastErr = fmt.Errorf("removing cgroup %s: %w", dirs[i], err)
			}
		}
		if lastErr == nil || !killed {
			break
		}
		time.Sleep(100 * time.Millisecond) // killed processes take a moment to leave
	}
	return lastErr
}

func containerdConfigTOML(dir string) string {
	d := filepath.Join(dir, "containerd")
	return fmt.Sprintf(`version = 2
root = %[1]q
state = %[2]q

[grpc]
  address = %[3]q

[ttrpc]
  address = %[4]q

[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = %[5]q
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = %[6]q
    netns_mounts_under_state_dir = true
    enable_selinux = false
    disable_apparmor = true
    restrict_oom_score_adj = true
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = %[7]q
      conf_dir = %[8]q
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          SystemdCgroup = false
          Root = %[9]q
`, filepath.Join(d, "root"), filepath.Join(d, "state"), filepath.Join(d, "containerd.sock"),
		filepath.Join(d, "containerd.sock.ttrpc"), filepath.Join(d, "opt"), pauseImage,
		cniBinDir, filepath.Join(dir, "cni", "net.d"), filepath.Join(d, "runc"))
}

func cniConflist(dir string) string {
	return fmt.Sprintf(`{
  "cniVersion": "0.4.0",
  "name": "bosun-bridge",
  "plugins": [
    {
      "type": "bridge",
      "bridge": %q,
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": %q,
        "ranges": [[{"subnet": %q}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "loopback"}
  ]
}
`, bridgeName, filepath.Join(dir, "cni", "ipam"), podSubnet)
}

// kubeletConfigYAML is a KubeletConfiguration for a throwaway local node: anonymous,
// AlwaysAllow (only the local apiserver talks to it), cgroupfs (cgroup v1 hosts too), no
// host-wide iptables rules, and no image GC (imported images cannot be pulled again).
func kubeletConfigYAML(dir, socket, nodeIP string, port int) string {
	return fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://%[1]s
imageServiceEndpoint: unix://%[1]s
address: %[2]s
port: %[3]d
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 0
authentication:
  anonymous:
    enabled: true
  webhook:
    enabled: false
authorization:
  mode: AlwaysAllow
cgroupsPerQOS: true
enforceNodeAllocatable: []
makeIPTablesUtilChains: false
resolvConf: /etc/resolv.conf
podLogsDir: %[4]s
volumePluginDir: %[5]s
rotateCertificates: false
serverTLSBootstrap: false
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: "100Mi"
  nodefs.available: "1%%"
  nodefs.inodesFree: "1%%"
  imagefs.available: "1%%"
clusterDomain: cluster.local
clusterDNS: []
syncFrequency: 10s
fileCheckFrequency: 20s
nodeStatusUpdateFrequency: 4s
maxPods: 250
`, socket, nodeIP, port, filepath.Join(dir, "kubelet", "pods-logs"), filepath.Join(dir, "kubelet", "volume-plugins"))
}

// ImportImages imports image archives (OCI or docker-style tarballs, as `ctr images import`
// takes them) into the node's containerd, where the kubelet finds them without pulling. The
// node must be started.
func (c *Cluster) ImportImages(ctx context.Context, archives ...string) error {
	if c.node == nil {
		return errors.New("no node: StartNode first")
	}
	for _, path := range archives {
		if out, err := c.node.ctrCommand(ctx, "images", "import", path).CombinedOutput(); err != nil {
			return fmt.Errorf("importing %s: %w: %s", path, err, out)
		}
	}
	return nil
}
