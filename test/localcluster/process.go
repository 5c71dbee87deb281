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
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

const (
	// stopGrace is how long a process gets to exit after SIGTERM before it is killed.
	stopGrace = 10 * time.Second
	// killWait bounds the wait for a process to disappear after SIGKILL.
	killWait = 5 * time.Second
	// logTailLines is how many lines of a process' log an error quotes.
	logTailLines = 20
)

// process is one child (etcd or kube-apiserver) with its output going to a log file.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	// path, args and env are what it was started with, so that it can be started again.
	path      string
	args, env []string
	// done is closed when the process has exited and been reaped; waitErr is set before.
	done    chan struct{}
	waitErr error
}

// startProcess starts path with args in its own process group, stdout and stderr appended to
// logPath.
func startProcess(name, path string, args []string, logPath string) (*process, error) {
	return startProcessEnv(name, path, args, nil, logPath)
}

// startProcessEnv is startProcess with env added to this process' environment.
func startProcessEnv(name, path string, args, env []string, logPath string) (*process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening %s log: %w", name, err)
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, path: path, args: args, env: env, done: make(chan struct{})}
	go func() {
		// Stdout and Stderr are *os.File, so Wait returns as soon as the process is reaped.
		p.waitErr = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *process) pid() int { return p.cmd.Process.Pid }

// exitedError reports, if the process has exited, how, with the end of its log; nil while it runs.
func (p *process) exitedError() error {
	select {
	case <-p.done:
	default:
		return nil
	}
	status := "exited"
	if p.waitErr != nil {
		status = p.waitErr.Error()
	}
	return fmt.Errorf("%s (pid %d) stopped unexpectedly (%s); last lines of %s:\n%s",
		p.name, p.pid(), status, p.logPath, p.logTail())
}

// logTail returns the last lines of the process' log, for error messages.
func (p *process) logTail() string {
	tail, err := lastLines(p.logPath, logTailLines)
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	return tail
}

// stop sends SIGTERM to the process group, SIGKILL after grace, and waits until the process is
// reaped. Whatever else is left in the group is killed afterwards.
func (p *process) stop(grace time.Duration) error {
	pgid := p.pid() // Setpgid makes the child the leader of a group with its own pid.
	select {
	case <-p.done:
	default:
		if err := signalGroup(pgid, syscall.SIGTERM); err != nil {
			return fmt.Errorf("stopping %s: %w", p.name, err)
		}
		timer := time.NewTimer(grace)
		defer timer.Stop()
		select {
		case <-p.done:
		case <-timer.C:
			if err := signalGroup(pgid, syscall.SIGKILL); err != nil {
				return fmt.Errorf("killing %s: %w", p.name, err)
			}
			select {
			case <-p.done:
			case <-time.After(killWait):
				return fmt.Errorf("%s (pid %d) still running %s after SIGKILL", p.name, p.pid(), killWait)
			}
		}
	}
	// The leader is gone; children it may have left in the group must not outlive it.
	if err := signalGroup(pgid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("killing what is left of %s's process group: %w", p.name, err)
	}
	return nil
}

// signalGroup signals every process in the group; an empty group is not an error.
func signalGroup(pgid int, sig syscall.Signal) error {
	if err := syscall.Kill(-pgid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}

// lastLines returns at most n lines from the end of the file at path, reading at most its
// last 64 KiB.
func lastLines(path string, n int) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	const maxRead = 64 << 10
	info, err := f.Stat()
	if err != nil {
		return "", err
	}
	if size := info.Size(); size > maxRead {
		if _, err := f.Seek(size-maxRead, io.SeekStart); err != nil {
			return "", err
		}
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return "", err
	}
	data = bytes.TrimRight(data, "\n")
	lines := bytes.Split(data, []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n"))), nil
}
