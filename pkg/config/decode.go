package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
	sigsjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"
)

// position says where a job was defined: the file, the line of its first key, and the line
// of each of its top-level keys, so that an error about a field can point at it.
type position struct {
	file   string
	line   int
	fields map[string]int
	// node is the job's YAML mapping, for fields below the top level; nil if unknown.
	node *yamlv3.Node
}

// String renders "file:line", or just the file when the line is unknown.
func (p position) String() string {
	if p.line <= 0 {
		return p.file
	}
	return p.file + ":" + strconv.Itoa(p.line)
}

// at returns the position of one of the job's fields, falling back to the job's own.
func (p position) at(field string) position {
	if line, ok := p.fields[field]; ok {
		p.line = line
	}
	return p
}

// atPath returns the position of a field below the job, given as a decoder path such as
// "pipeline_run_spec.pipelineSpec.tasks[0].name": the line of the deepest key of the path
// that the file holds, else that of the job's top-level field.
func (p position) atPath(path string) position {
	if p.node != nil {
		if line := lineOfPath(p.node, path); line > 0 {
			p.line = line
			return p
		}
	}
	return p.at(topField(path))
}

// jobKind names the three job lists; the values are the words used in error messages.
type jobKind string

const (
	presubmitKind  jobKind = "presubmit"
	postsubmitKind jobKind = "postsubmit"
	periodicKind   jobKind = "periodic"
)

// jobKey finds one job in a file: periodics have no repo.
type jobKey struct {
	kind  jobKind
	repo  string
	index int
}

// fileIndex maps the jobs of one decoded file to where they are.
type fileIndex struct {
	file string
	root *yamlv3.Node
	jobs map[jobKey]position
}

// position returns where a job is, or just the file if the index does not know it.
func (x *fileIndex) position(k jobKey) position {
	if p, ok := x.jobs[k]; ok {
		return p
	}
	return position{file: x.file}
}

// decodeFile decodes one YAML file into out (a *Config or a *JobConfig), records in st
// what becomes the load's warnings, and drops from out the jobs that are not bosun's. Keys
// are case-sensitive, as Kubernetes decodes objects. Every error names the file.
//
// Unknown keys and values of the wrong type come back as checkErr, every one of them, with
// the line and key path of each, while out still holds everything else, so that the caller
// can go on to validate it and report all problems in one run. Any other error (bad YAML, a
// duplicate key) comes back as err, and out must then be discarded.
func decodeFile(file string, data []byte, out any, st *loadState) (idx *fileIndex, checkErr, err error) {
	// sigs.k8s.io/yaml converts with YAML 1.1 rules, as Prow and Kubernetes do, so values
	// such as "yes" mean the same here as there. It reads only the first document.
	jsonData, err := sigsyaml.YAMLToJSONStrict(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	// A second parse keeps the node tree for line numbers and catches the documents after
	// the first, which the conversion above would drop without a word. It is best effort:
	// if it fails where the conversion did not, errors just lose their line numbers.
	idx = &fileIndex{file: file, jobs: map[jobKey]position{}}
	if root, extra, err := parseDocuments(data); err == nil {
		if extra != nil {
			return nil, nil, fmt.Errorf("%s:%d: a config file holds one YAML document; found another here", file, extra.Line)
		}
		idx.root = root
		idx.indexJobs()
	}
	// The file is checked as generic JSON first (check.go), which removes what cannot be
	// decoded, and then decoded for real.
	var generic any
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(jsonData, &generic); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	var jc *JobConfig
	main := false
	switch o := out.(type) {
	case *Config:
		jc, main = &o.JobConfig, true
	case *JobConfig:
		jc = o
	default:
		return nil, nil, fmt.Errorf("%s: cannot decode into %T", file, out)
	}
	ck := newChecker(idx, st)
	if m, ok := generic.(map[string]any); ok {
		ck.top(m, main)
		if jsonData, err = json.Marshal(m); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", file, err)
		}
	}
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(jsonData, out); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	setPositions(jc, idx)
	ck.split(jc)
	return idx, ck.err(), nil
}

// parseDocuments returns the content of the first YAML document (nil for an empty file) and
// the first node of any later document that has content.
func parseDocuments(data []byte) (first, extra *yamlv3.Node, err error) {
	dec := yamlv3.NewDecoder(bytes.NewReader(data))
	for n := 0; ; n++ {
		var doc yamlv3.Node
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				return first, nil, nil
			}
			return nil, nil, err
		}
		content := documentContent(&doc)
		if n == 0 {
			first = content
			continue
		}
		if content != nil {
			return first, content, nil
		}
	}
}

// documentContent returns a document's root node, or nil if the document is empty.
func documentContent(doc *yamlv3.Node) *yamlv3.Node {
	if doc.Kind != yamlv3.DocumentNode || len(doc.Content) == 0 {
		return nil
	}
	c := doc.Content[0]
	if c.Kind == yamlv3.ScalarNode && c.Tag == "!!null" {
		return nil
	}
	return c
}

// indexJobs records where each job of the file starts and where its keys are.
func (x *fileIndex) indexJobs() {
	root := resolveAlias(x.root)
	if root == nil || root.Kind != yamlv3.MappingNode {
		return
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		value := resolveAlias(root.Content[i+1])
		switch root.Content[i].Value {
		case "presubmits":
			x.indexRepoJobs(presubmitKind, value)
		case "postsubmits":
			x.indexRepoJobs(postsubmitKind, value)
		case "periodics":
			x.indexJobList(periodicKind, "", value)
		}
	}
}

// indexRepoJobs indexes a map from "org/repo" to a list of jobs.
func (x *fileIndex) indexRepoJobs(kind jobKind, repos *yamlv3.Node) {
	if repos == nil || repos.Kind != yamlv3.MappingNode {
		return
	}
	for i := 0; i+1 < len(repos.Content); i += 2 {
		x.indexJobList(kind, repos.Content[i].Value, resolveAlias(repos.Content[i+1]))
	}
}

// indexJobList indexes one list of jobs.
func (x *fileIndex) indexJobList(kind jobKind, repo string, list *yamlv3.Node) {
	if list == nil || list.Kind != yamlv3.SequenceNode {
		return
	}
	for i, item := range list.Content {
		item = resolveAlias(item)
		if item == nil {
			continue
		}
		p := position{file: x.file, line: item.Line, fields: map[string]int{}, node: item}
		if item.Kind == yamlv3.MappingNode {
			for j := 0; j+1 < len(item.Content); j += 2 {
				p.fields[item.Content[j].Value] = item.Content[j].Line
			}
		}
		x.jobs[jobKey{kind: kind, repo: repo, index: i}] = p
	}
}

// lineOfPath finds the line of the key at a decoder path such as
// "presubmits.acme/widgets[0].pipeline_run_spec.foo". Map keys may themselves hold dots, so
// each mapping level tries every key that is a prefix of what is left. It returns the line
// of the deepest node it could reach, or 0 if it reached none.
func lineOfPath(node *yamlv3.Node, path string) int {
	node = resolveAlias(node)
	if node == nil {
		return 0
	}
	switch {
	case path == "":
		return node.Line
	case node.Kind == yamlv3.MappingNode:
		best := node.Line
		for i := 0; i+1 < len(node.Content); i += 2 {
			key := node.Content[i].Value
			rest, ok := strings.CutPrefix(path, key)
			switch {
			case !ok:
				continue
			case rest == "":
				return node.Content[i].Line
			case rest[0] == '.' || rest[0] == '[':
				if line := lineOfPath(node.Content[i+1], strings.TrimPrefix(rest, ".")); line > 0 {
					best = line
				}
			}
		}
		return best
	case node.Kind == yamlv3.SequenceNode && path[0] == '[':
		end := strings.IndexByte(path, ']')
		if end < 0 {
			return node.Line
		}
		i, err := strconv.Atoi(path[1:end])
		if err != nil || i < 0 || i >= len(node.Content) {
			return node.Line
		}
		return lineOfPath(node.Content[i], strings.TrimPrefix(path[end+1:], "."))
	default:
		return node.Line
	}
}

// resolveAlias follows YAML aliases (with a bound, since a malformed tree could loop).
func resolveAlias(n *yamlv3.Node) *yamlv3.Node {
	for i := 0; n != nil && n.Kind == yamlv3.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yamlv3.AliasNode {
		return nil
	}
	return n
}
