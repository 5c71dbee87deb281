package framework

import (
	"context"
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
}

// Binaries are bosun's hook and controller running as processes, the way they are deployed.
type Binaries struct {
	// HookURL is where webhooks are POSTed.
	HookURL    string
	hook       *process
	controller *process
}

// StartBinaries builds cmd/hook and cmd/controller and runs them against the cluster and the
// GitHub emulator, then waits for the hook to be healthy.
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
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	b := &Binaries{HookURL: "http://" + addr + "/hook"}
	defer func() {
		if err != nil {
			b.Stop()
		}
	}()
	kubeconfig := e.Cluster.KubeconfigPath()
	if b.hook, err = startProcess(o.WorkDir, filepath.Join(binDir, "hook"), "--addr", addr,
		"--config-path", path("config.yaml"), "--plugin-config", path("plugins.yaml"),
		"--hmac-secret-file", path("hmac"), "--kubeconfig", kubeconfig,
		"--github-endpoint", e.GitHub.URL(), "--github-token-path", path("token")); err != nil {
		return nil, err
	}
	if b.controller, err = startProcess(o.WorkDir, filepath.Join(binDir, "controller"), "--kubeconfig", kubeconfig,
		"--config-path", path("config.yaml"),
		"--github-endpoint", e.GitHub.URL(), "--github-token-path", path("token"), "--metrics-addr", ""); err != nil {
		return nil, err
	}
	if err := waitHealthy(ctx, "http://"+addr+"/healthz", b.hook); err != nil {
		return nil, fmt.Errorf("hook never became healthy (log %s): %w", b.hook.logPath, err)
	}
	return b, nil
}

// Stop stops the hook and the controller.
func (b *Binaries) Stop() {
	for _, p := range []*process{b.hook, b.controller} {
		if p != nil {
			p.stop()
		}
	}
}

// Logs returns the paths of the hook's and the controller's logs.
func (b *Binaries) Logs() []string {
	var out []string
	for _, p := range []*process{b.hook, b.controller} {
		if p != nil {
			out = append(out, p.logPath)
		}
	}
	return out
}

type process struct {
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
}

func startProcess(dir, path string, args ...string) (*process, error) {
	logPath := filepath.Join(dir, filepath.Base(path)+".log")
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

func waitHealthy(ctx context.Context, url string, p *process) error {
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

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// ControllerPID is the controller process' pid, for measurements such as its memory.
func (b *Binaries) ControllerPID() int { return b.controller.cmd.Process.Pid }
