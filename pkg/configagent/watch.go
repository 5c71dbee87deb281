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

package configagent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/bosun-ci/bosun/pkg/config"
)

// maxDebounceBursts bounds how many Debounce periods a burst of events may put a reload off.
const maxDebounceBursts = 5

// Run follows the files until ctx is done: it reloads (Reload) once a watched directory has
// had no event for Debounce, and every RecheckInterval whatever the events. It watches
// directories, not files: Kubernetes updates a mounted ConfigMap by pointing its "..data"
// symlink at a new directory, which changes no file a watch on config.yaml would follow.
//
// Run returns nil when ctx ends. A watcher that cannot start (the inotify limits reached) or
// a directory that cannot be watched is logged, and the re-checks still cover the files: a
// process does not stop serving for want of faster reloads.
func (a *Agent) Run(ctx context.Context) error {
	var events <-chan fsnotify.Event
	var errs <-chan error
	watched := map[string]bool{}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		a.o.Logger.Warnw("Cannot watch the config files; changes are seen by the periodic re-check only",
			"recheckInterval", a.o.RecheckInterval.String(), "error", err)
	} else {
		defer w.Close()
		events, errs = w.Events, w.Errors
		a.watch(w, watched)
	}
	a.watchingOnce.Do(func() { close(a.watching) })

	recheck := time.NewTicker(a.o.RecheckInterval)
	defer recheck.Stop()
	// debounce is armed by the first event of a burst and fires once it has been quiet for
	// Debounce, or maxDebounceBursts Debounces after that first event: a directory that is
	// never quiet (a log written beside the config) must not hold off reloads for ever.
	debounce := time.NewTimer(a.o.Debounce)
	debounce.Stop()
	defer debounce.Stop()
	var burstStart time.Time
	reload := func() {
		burstStart = time.Time{}
		// The error was logged and counted; there is nothing more to do with it here.
		_ = a.Reload()
		// A new job directory, or one that came back, gets watched too.
		if w != nil {
			a.watch(w, watched)
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				// The watcher is gone: the re-checks go on alone.
				events = nil
				continue
			}
			if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
				// A watched directory that went away stops being watched; watch will add it
				// again when it is back.
				delete(watched, ev.Name)
			}
			now := time.Now()
			if burstStart.IsZero() {
				burstStart = now
			}
			if wait := burstStart.Add(maxDebounceBursts * a.o.Debounce).Sub(now); wait < a.o.Debounce {
				debounce.Reset(max(wait, 0))
			} else {
				debounce.Reset(a.o.Debounce)
			}
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			a.o.Logger.Warnw("Config file watcher error; the periodic re-check still runs", "error", err)
		case <-debounce.C:
			reload()
		case <-recheck.C:
			reload()
		}
	}
}

// watch adds to w every directory in dirs that watched does not hold yet.
func (a *Agent) watch(w *fsnotify.Watcher, watched map[string]bool) {
	for _, dir := range a.dirs() {
		if watched[dir] {
			continue
		}
		if err := w.Add(dir); err != nil {
			a.o.Logger.Warnw("Cannot watch a config directory; changes there are seen by the periodic re-check", "dir", dir, "error", err)
			continue
		}
		watched[dir] = true
	}
}

// dirs are the directories whose events may mean a config change: those holding the config
// and plugin files (and their "..data" links, in a mounted ConfigMap), and the job config
// directory with its subdirectories.
func (a *Agent) dirs() []string {
	seen := map[string]bool{}
	for _, p := range []string{a.o.ConfigPath, a.o.PluginConfigPath, a.o.JobConfigPath} {
		if p != "" {
			seen[filepath.Dir(filepath.Clean(p))] = true
		}
	}
	if a.o.JobConfigPath != "" {
		for _, d := range jobDirs(a.o.JobConfigPath) {
			seen[d] = true
		}
	}
	out := make([]string, 0, len(seen))
	for d := range seen {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// jobDirs lists path and its subdirectories if it is a directory, skipping those whose
// names start with ".", as config.Load does.
func jobDirs(path string) []string {
	var dirs []string
	_ = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if p != path && strings.HasPrefix(d.Name(), ".") {
			return fs.SkipDir
		}
		dirs = append(dirs, filepath.Clean(p))
		return nil
	})
	return dirs
}

// digest hashes the names and contents of every file the Agent loads. A file that cannot
// be read is hashed as its error, and the errors are returned, so that the digest still
// tells one broken state from another.
func (a *Agent) digest() (string, error) {
	files := []string{a.o.ConfigPath}
	var errs []error
	if a.o.JobConfigPath != "" {
		jobs, err := config.JobFiles(a.o.JobConfigPath)
		if err != nil {
			errs = append(errs, fmt.Errorf("find job config: %w", err))
		}
		files = append(files, jobs...)
	}
	if a.o.PluginConfigPath != "" {
		files = append(files, a.o.PluginConfigPath)
	}
	h := sha256.New()
	for _, err := range errs {
		fmt.Fprintf(h, "error %s\n", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			errs = append(errs, err)
			fmt.Fprintf(h, "error %s %s\n", f, err)
			continue
		}
		fmt.Fprintf(h, "file %s %d\n", f, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil)), errors.Join(errs...)
}
