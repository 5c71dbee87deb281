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

package plugins

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
)

// This file holds what makes a Prow plugins.yaml load unchanged: the sections and plugin
// names Prow (and Lighthouse, which shares the format) know, so that the ones bosun lacks
// are warnings rather than errors; both shapes of "plugins:"; and the key check that keeps
// misspelled keys in the sections bosun decodes errors, with a line and a suggestion.

// decodedSections are the top-level keys of plugins.yaml that bosun decodes (and checks
// key by key). They are the json names of Configuration's fields.
var decodedSections = []string{"plugins", "triggers", "lgtm", "label", "approve", "help", "config_updater"}

// ignoredSections are the top-level keys of Prow's and Lighthouse's plugins.yaml that bosun
// accepts without reading: they configure plugins or features bosun does not have.
var ignoredSections = []string{
	"blockades", "blunderbuss", "branch_cleaner", "bugzilla", "cat", "cherry_pick_approved",
	"cherry_pick_unapproved", "dco", "external_plugins", "golint", "goose",
	"heart", "invalid_commit_msg", "jira", "milestone", "milestone_applier", "milestonestatus",
	"override", "owners", "project_config", "project_manager", "release_note", "repo_milestone",
	"require_matching_label", "requiresig", "retitle", "rifle", "sigmention", "size", "slack",
	"welcome",
}

// prowPlugins are the names of Prow's (and Lighthouse's) in-tree plugins, current and
// retired. Enabling one that bosun does not have is a warning; any other unknown name is an
// error, since it is most likely a typo.
var prowPlugins = []string{
	"approve", "assign", "blockade", "blunderbuss", "branchcleaner", "bugzilla", "buildifier",
	"cat", "cherry-pick-approved", "cherry-pick-unapproved", "cla", "close", "config-updater",
	"dco", "docs-no-retest", "dog", "golint", "goose", "heart", "help", "hold",
	"invalidcommitmsg", "issue-management", "jira", "label", "lgtm", "lifecycle",
	"merge-method-comment", "mergecommitblocker", "milestone", "milestoneapplier",
	"milestonestatus", "override", "owners-label", "pony", "project", "project-manager",
	"release-note", "reopen", "require-matching-label", "require-sig", "requiresig",
	"retitle", "reward-owners", "rifle", "shrug", "sigmention", "size", "skip", "slackevents",
	"stage", "testfreeze", "transfer-issue", "trick-or-treat", "trigger", "verify-owners",
	"welcome", "wip", "yuks",
}

// OrgPlugins are the plugins enabled for an org or a repository. plugins.yaml may write
// them as a plain list (Prow's old shape) or as an object with plugins and excluded_repos
// (its current one).
type OrgPlugins struct {
	// Plugins are the names of the enabled plugins.
	Plugins []string `json:"plugins,omitempty"`
	// ExcludedRepos, for an org, are its repositories its plugins do not apply to, written
	// as in Prow without the org ("widgets"); "org/widgets" is accepted too. A repository's
	// own entry still applies to it.
	ExcludedRepos []string `json:"excluded_repos,omitempty"`
}

// UnmarshalJSON accepts both shapes: a list of names, or an object.
func (o *OrgPlugins) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	switch {
	case bytes.Equal(data, []byte("null")):
		*o = OrgPlugins{}
		return nil
	case len(data) > 0 && data[0] == '[':
		*o = OrgPlugins{}
		return json.Unmarshal(data, &o.Plugins)
	}
	type plain OrgPlugins
	var p plain
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	*o = OrgPlugins(p)
	return nil
}

// excludes reports whether these org plugins leave out org/repo.
func (o OrgPlugins) excludes(org, repo string) bool {
	return slices.ContainsFunc(o.ExcludedRepos, func(e string) bool {
		return strings.EqualFold(e, repo) || strings.EqualFold(e, org+"/"+repo)
	})
}

// fileTree is the YAML node tree of one plugins.yaml, for the lines of errors and warnings.
type fileTree struct {
	name string
	root *yamlv3.Node
}

// parseTree parses data into a fileTree; an empty file has no root.
func parseTree(name string, data []byte) (*fileTree, error) {
	t := &fileTree{name: name}
	var doc yamlv3.Node
	if err := yamlv3.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if doc.Kind == yamlv3.DocumentNode && len(doc.Content) > 0 {
		t.root = resolveAlias(doc.Content[0])
	}
	return t, nil
}

// at renders "file:line" for the node, or just the file without one.
func (t *fileTree) at(n *yamlv3.Node) string {
	if n == nil || n.Line <= 0 {
		return t.name
	}
	return t.name + ":" + strconv.Itoa(n.Line)
}

// key returns the node of the key at the end of keys, a path of mapping keys from the
// top, or the deepest one found.
func (t *fileTree) key(keys ...string) *yamlv3.Node {
	k, _ := t.lookup(keys...)
	return k
}

// lookup returns the key and value nodes at the end of keys, or the deepest key found and
// no value.
func (t *fileTree) lookup(keys ...string) (key, value *yamlv3.Node) {
	n := t.root
	for _, k := range keys {
		if n == nil || n.Kind != yamlv3.MappingNode {
			return key, nil
		}
		var next *yamlv3.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				key, next = n.Content[i], resolveAlias(n.Content[i+1])
				break
			}
		}
		if next == nil {
			return key, nil
		}
		n = next
	}
	return key, n
}

// pluginNode returns the node of the i-th plugin enabled for where in the plugins section,
// in either shape, or the node of where's key.
func (t *fileTree) pluginNode(where string, i int) *yamlv3.Node {
	key, list := t.lookup("plugins", where)
	if list != nil && list.Kind == yamlv3.MappingNode {
		_, list = t.lookup("plugins", where, "plugins")
	}
	if list != nil && list.Kind == yamlv3.SequenceNode && i < len(list.Content) {
		return list.Content[i]
	}
	return key
}

// resolveAlias follows YAML aliases, with a bound in case of a loop.
func resolveAlias(n *yamlv3.Node) *yamlv3.Node {
	for i := 0; n != nil && n.Kind == yamlv3.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yamlv3.AliasNode {
		return nil
	}
	return n
}

// orgPluginsType is the type whose YAML may be a plain list.
var orgPluginsType = reflect.TypeOf(OrgPlugins{})

// checkKeys reports every mapping key under n that names no field of t, the Go type n
// decodes into, with its line and the closest field name. Values of the wrong kind are
// left to the decoder.
func (t *fileTree) checkKeys(n *yamlv3.Node, typ reflect.Type, path string) []error {
	n = resolveAlias(n)
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if n == nil {
		return nil
	}
	var errs []error
	switch typ.Kind() {
	case reflect.Struct:
		if n.Kind != yamlv3.MappingNode {
			return nil
		}
		fields := jsonFields(typ)
		names := make([]string, 0, len(fields))
		for name := range fields {
			names = append(names, name)
		}
		slices.Sort(names)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if n.Content[i].Tag == "!!merge" {
				// "<<: *anchor" (or a list of them) merges the anchored mappings' keys.
				merged := resolveAlias(n.Content[i+1])
				if merged != nil && merged.Kind == yamlv3.SequenceNode {
					for _, m := range merged.Content {
						errs = append(errs, t.checkKeys(m, typ, path)...)
					}
				} else {
					errs = append(errs, t.checkKeys(merged, typ, path)...)
				}
				continue
			}
			f, ok := fields[k]
			if !ok {
				errs = append(errs, fmt.Errorf("%s: unknown field %q%s", t.at(n.Content[i]), path+"."+k, didYouMean(k, names)))
				continue
			}
			errs = append(errs, t.checkKeys(n.Content[i+1], f.Type, path+"."+k)...)
		}
	case reflect.Slice:
		if n.Kind != yamlv3.SequenceNode {
			return nil
		}
		for i, item := range n.Content {
			errs = append(errs, t.checkKeys(item, typ.Elem(), fmt.Sprintf("%s[%d]", path, i))...)
		}
	case reflect.Map:
		if n.Kind != yamlv3.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			v := resolveAlias(n.Content[i+1])
			if typ.Elem() == orgPluginsType && v != nil && v.Kind == yamlv3.SequenceNode {
				continue
			}
			errs = append(errs, t.checkKeys(v, typ.Elem(), path+"."+n.Content[i].Value)...)
		}
	}
	return errs
}

// jsonFields maps the json names of a struct's exported fields to the fields.
func jsonFields(typ reflect.Type) map[string]reflect.StructField {
	fields := map[string]reflect.StructField{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = f
	}
	return fields
}

// ignoredFields returns, sorted, the json names of the fields tagged `bosun:"ignored"` that
// are set anywhere in v: the Prow settings bosun accepts but does not act on.
func ignoredFields(v reflect.Value) []string {
	set := map[string]bool{}
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Slice:
			for i := range v.Len() {
				walk(v.Index(i))
			}
		case reflect.Map:
			for it := v.MapRange(); it.Next(); {
				walk(it.Value())
			}
		case reflect.Struct:
			for i := range v.NumField() {
				f := v.Type().Field(i)
				if !f.IsExported() {
					continue
				}
				if f.Tag.Get("bosun") == "ignored" {
					if !v.Field(i).IsZero() {
						name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
						set[name] = true
					}
					continue
				}
				walk(v.Field(i))
			}
		}
	}
	walk(v)
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// didYouMean returns ` (did you mean "x"?)` for the candidate closest to s, or "" if none is
// close enough to be a likely typo.
func didYouMean(s string, candidates []string) string {
	best, bestDist := "", -1
	for _, c := range candidates {
		d := editDistance(strings.ToLower(s), strings.ToLower(c))
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	if bestDist < 0 || bestDist > max(2, len(s)/3) || bestDist >= len(s) {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance between a and b, counted in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// placesList renders up to three places and how many more there are.
func placesList(places []string) string {
	if len(places) <= 3 {
		return strings.Join(places, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(places[:3], ", "), len(places)-3)
}
