package framework

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/bosun-ci/bosun/test/localcluster"
)

// BinaryOptions configure bosun's binaries as StartBinaries runs them.
type BinaryOptions struct {
	// WorkDir holds the built binaries, their config files and their logs.
	WorkDir string
	// ConfigYAML and PluginsYAML are the hook's config.yaml and plugins.yaml.
	ConfigYAML, PluginsYAML string
	// Secret is the webhook secret.
	Secret string
	// HookReplicas is how many hook processes run, each on its own address with the same
	// config, as replicas behind a load balancer would (default 1).
	HookReplicas int
	// HookArgs are extra flags for every hook replica, e.g. --max-payload-bytes-in-flight.
	HookArgs []string
	// NoController runs the hooks only.
	NoController bool
}

// Binaries are bosun's hook and controller running as processes, the way they are deployed.
type Binaries struct {
	// HookURL is where webhooks are POSTed: the first hook replica's HookURLs entry.
	HookURL string
	// HookURLs are every hook replica's webhook URL, in replica order.
	HookURLs []string
	// HookMetricsURLs and HookReadyzURLs are every hook replica's /metrics and /readyz
	// URLs, on the ports of their own (--metrics-addr, --probes-addr), in replica order.
	HookMetricsURLs []string
	HookReadyzURLs  []string
	hooks           []*process
	controller      *process
	// controllerArgs start the controller again (RestartController); restarts counts them.
	workDir, controllerPath string
	controllerArgs          []string
	restarts                int
	// earlierLogs are the logs of controllers that were restarted.
	earlierLogs []string
}

// StartBinaries builds cmd/hook and cmd/controller and runs them against the cluster and the
// GitHub emulator, then waits for every hook replica to be ready (/readyz).
func (e *Env) StartBinaries(ctx context.Context, o BinaryOptions) (_ *Binaries, err error) {
	root, err := localcluster.RepoRoot()
	if err != nil {
		return nil, err
	}
	binDir := filepath.Join(o.WorkDir, "bin")
	build := exec.CommandContext(ctx, "go", "build", "-o", binDir+string(os.PathSeparator), "./cmd/hook", "./cmd/controller")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build bosun: %w\n%s", err, out)
	}
	path := func(name string) string { return filepath.Join(o.WorkDir, name) }
	for name, content := range map[string]string{"config.yaml": o.ConfigYAML, "plugins.yaml": o.PluginsYAML, "hmac": o.Secret, "token": "test-token"} {
		if err := os.WriteFile(path(name), []byte(content), 0o600); err != nil {
			return nil, err
		}
	}
	b := &Binaries{}
	defer func() {
		if err != nil {
			b.Stop()
		}
	}()
	kubeconfig := e.Cluster.KubeconfigPath()
	for i := range max(o.HookReplicas, 1) {
		addrs, err := freeAddrs(3)
		if err != nil {
			return nil, err
		}
		addr, metricsAddr, probesAddr := addrs[0], addrs[1], addrs[2]
		logName := "hook.log"
		if i > 0 {
			logName = fmt.Sprintf("hook-%d.log", i)
		}
		args := append([]string{"--addr", addr, "--metrics-addr", metricsAddr, "--probes-addr", probesAddr,
			"--config-path", path("config.yaml"), "--plugin-config", path("plugins.yaml"),
			"--hmac-secret-file", path("hmac"), "--kubeconfig", kubeconfig,
			"--github-endpoint", e.GitHub.URL(), "--github-token-path", path("token")}, o.HookArgs...)
		p, err := startProcessLog(o.WorkDir, logName, filepath.Join(binDir, "hook"), args...)
		if err != nil {
			return nil, err
		}
		b.hooks = append(b.hooks, p)
		b.HookURLs = append(b.HookURLs, "http://"+addr+"/hook")
		b.HookMetricsURLs = append(b.HookMetricsURLs, "http://"+metricsAddr+"/metrics")
		b.HookReadyzURLs = append(b.HookReadyzURLs, "http://"+probesAddr+"/readyz")
	}
	b.HookURL = b.HookURLs[0]
	if !o.NoController {
		b.workDir, b.controllerPath = o.WorkDir, filepath.Join(binDir, "controller")
		b.controllerArgs = []string{"--kubeconfig", kubeconfig, "--config-path", path("config.yaml"),
			"--github-endpoint", e.GitHub.URL(), "--github-token-path", path("token"), "--metrics-addr", "", "--probes-addr", ""}
		if b.controller, err = startProcess(o.WorkDir, b.controllerPath, b.controllerArgs...); err != nil {
			return nil, err
		}
	}
	// Ready means the config loaded and the ProwJob API answers: deliveries can be handled.
	for i, p := range b.hooks {
		if err := waitReady(ctx, b.HookReadyzURLs[i], p); err != nil {
			return nil, fmt.Errorf("hook never became ready (log %s): %w", p.logPath, err)
		}
	}
	return b, nil
}

// Stop stops the hooks and the controller.
func (b *Binaries) Stop() {
	for _, p := range b.processes() {
		p.stop()
	}
}

// Logs returns the paths of the hooks' and the controller's logs.
func (b *Binaries) Logs() []string {
	out := append([]string(nil), b.earlierLogs...)
	for _, p := range b.processes() {
		out = append(out, p.logPath)
	}
	return out
}

// processes are the hooks, then the controller if it runs.
func (b *Binaries) processes() []*process {
	out := append([]*process(nil), b.hooks...)
	if b.controller != nil {
		out = append(out, b.controller)
	}
	return out
}

// Exited returns an error naming every hook or controller process that is no longer
// running, with its log; nil while they all run. A fault test calls it to tell "bosun
// recovered" from "bosun crashed".
func (b *Binaries) Exited() error {
	var errs []error
	for _, p := range b.processes() {
		if p.exited() {
			errs = append(errs, fmt.Errorf("%s (pid %d) exited: %s (log %s)", filepath.Base(p.cmd.Path), p.cmd.Process.Pid, p.cmd.ProcessState, p.logPath))
		}
	}
	return errors.Join(errs...)
}

// HookPID is hook replica i's pid, for measurements such as its memory.
func (b *Binaries) HookPID(i int) int { return b.hooks[i].cmd.Process.Pid }

type process struct {
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
}

func startProcess(dir, path string, args ...string) (*process, error) {
	return startProcessLog(dir, filepath.Base(path)+".log", path, args...)
}

// startProcessLog starts path with its output in dir/logName.
func startProcessLog(dir, logName, path string, args ...string) (*process, error) {
	logPath := filepath.Join(dir, logName)
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Own process group, and killed with us: nothing outlives the test or the demo.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	p := &process{cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *process) stop() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

func waitReady(ctx context.Context, url string, p *process) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return Poll(ctx, 50*time.Millisecond, func(ctx context.Context) (bool, error) {
		if p.exited() {
			return false, fmt.Errorf("%s exited", filepath.Base(p.cmd.Path))
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
}

// freeAddrs returns n distinct loopback addresses nothing listens on: all n are held open
// until all are picked, so none is handed out twice.
func freeAddrs(n int) ([]string, error) {
	var addrs []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		addrs = append(addrs, l.Addr().String())
	}
	return addrs, nil
}

// ControllerPID is the controller process' pid, for measurements such as its memory; 0
// when it was started with NoController.
func (b *Binaries) ControllerPID() int {
	if b.controller == nil {
		return 0
	}
	return b.controller.cmd.Process.Pid
}

// KillController kills the controller with SIGKILL, as the kernel's OOM killer or a lost
// node does: it gets no chance to finish anything. It returns once the process is gone.
func (b *Binaries) KillController() {
	if b.controller == nil {
		return
	}
	_ = syscall.Kill(-b.controller.cmd.Process.Pid, syscall.SIGKILL)
	<-b.controller.done
}

// RestartController starts the controller again with the flags it was started with, after
// it stopped or was killed, with a log of its own (controller-<n>.log).
func (b *Binaries) RestartController() error {
	if b.controller == nil {
		return fmt.Errorf("no controller was started")
	}
	if !b.controller.exited() {
		return fmt.Errorf("the controller still runs")
	}
	b.restarts++
	b.earlierLogs = append(b.earlierLogs, b.controller.logPath)
	p, err := startProcessLog(b.workDir, fmt.Sprintf("controller-%d.log", b.restarts), b.controllerPath, b.controllerArgs...)
	if err != nil {
		return err
	}
	b.controller = p
	return nil
}
