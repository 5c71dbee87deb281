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

package config

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
)

// prowIgnoreFile is the file Prow reads in a job config tree to leave some files out: its
// lines are gitignore patterns relative to its own directory. kubernetes/test-infra, for
// one, keeps YAML files that are not job config next to its jobs this way.
const prowIgnoreFile = ".prowignore"

// ignoreRule is one pattern of a .prowignore file.
type ignoreRule struct {
	pattern  string
	negate   bool // "!pattern": include again what an earlier pattern left out
	dirOnly  bool // "pattern/": match directories only
	anchored bool // the pattern holds a "/": matched against the path from its directory
}

// readProwIgnore reads dir's .prowignore, if it has one. It supports what gitignore patterns
// commonly use: comments, "!" negation, a trailing "/" for directories, a "/" anywhere else
// to anchor the pattern at the file's directory, and the wildcards of filepath.Match; "**"
// matches like "*", within one path element.
func readProwIgnore(dir string) ([]ignoreRule, error) {
	data, err := os.ReadFile(filepath.Join(dir, prowIgnoreFile))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var rules []ignoreRule
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var r ignoreRule
		if r.negate = strings.HasPrefix(line, "!"); r.negate {
			line = line[1:]
		}
		if r.dirOnly = strings.HasSuffix(line, "/"); r.dirOnly {
			line = strings.TrimRight(line, "/")
		}
		r.anchored = strings.Contains(line, "/")
		r.pattern = strings.ReplaceAll(strings.TrimPrefix(line, "/"), "**", "*")
		if r.pattern != "" {
			rules = append(rules, r)
		}
	}
	return rules, sc.Err()
}

// matches reports whether the rule matches rel, a slash-separated path from the rule's
// directory to an entry, which is a directory if isDir.
func (r ignoreRule) matches(rel string, isDir bool) bool {
	if r.dirOnly && !isDir {
		return false
	}
	if r.anchored {
		ok, _ := filepath.Match(r.pattern, rel)
		return ok
	}
	ok, _ := filepath.Match(r.pattern, rel[strings.LastIndex(rel, "/")+1:])
	return ok
}

// prowIgnores holds the rules of the .prowignore files of the directories walked so far.
type prowIgnores map[string][]ignoreRule

// ignored reports whether the entry at p is left out by the rules of root and of the
// directories between root and p. As in gitignore, the last matching rule decides, and an
// entry in an ignored directory is never reached, since the walk skips the directory.
func (x prowIgnores) ignored(root, p string, isDir bool) bool {
	// The deepest directory with a matching rule decides: its rules come after its parents'.
	for dir := filepath.Dir(p); ; dir = filepath.Dir(dir) {
		if rel, err := filepath.Rel(dir, p); err == nil && len(x[dir]) > 0 {
			if ignored, ok := lastMatch(x[dir], filepath.ToSlash(rel), isDir); ok {
				return ignored
			}
		}
		if dir == root || dir == filepath.Dir(dir) {
			return false
		}
	}
}

// lastMatch returns what the last rule matching rel decides, if any matches.
func lastMatch(rules []ignoreRule, rel string, isDir bool) (ignored, ok bool) {
	for i := len(rules) - 1; i >= 0; i-- {
		if rules[i].matches(rel, isDir) {
			return !rules[i].negate, true
		}
	}
	return false, false
}
