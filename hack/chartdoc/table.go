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

package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Row is one documented value.
type Row struct {
	Key, Type, Default, Description string
}

const (
	beginMarker = "<!-- values -->"
	endMarker   = "<!-- /values -->"
	docPrefix   = "-- "
)

// Rows returns a row per documented value of values.yaml, in file order. A mapping whose
// key carries a doc comment is one row (its default shown as YAML); an undocumented mapping
// is descended into; an undocumented leaf is an error naming its key.
func Rows(values []byte) ([]Row, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(values, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("values are not a mapping")
	}
	var rows []Row
	var undocumented []string
	var walk func(prefix string, m *yaml.Node) error
	walk = func(prefix string, m *yaml.Node) error {
		for i := 0; i+1 < len(m.Content); i += 2 {
			key, value := m.Content[i], m.Content[i+1]
			path := prefix + key.Value
			if desc, ok := docComment(key.HeadComment); ok {
				def, err := defaultOf(value)
				if err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
				rows = append(rows, Row{Key: path, Type: typeOf(value), Default: def, Description: desc})
				continue
			}
			if value.Kind == yaml.MappingNode && len(value.Content) > 0 {
				if err := walk(path+".", value); err != nil {
					return err
				}
				continue
			}
			undocumented = append(undocumented, path)
		}
		return nil
	}
	if err := walk("", doc.Content[0]); err != nil {
		return nil, err
	}
	if len(undocumented) > 0 {
		return nil, fmt.Errorf("values without a %q comment: %s", "# "+docPrefix, strings.Join(undocumented, ", "))
	}
	return rows, nil
}

// docComment returns the text of the comment lines that start with "-- " (and the lines
// after them), or false when there is none.
func docComment(comment string) (string, bool) {
	var parts []string
	found := false
	for _, line := range strings.Split(comment, "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "#"))
		if strings.HasPrefix(line, docPrefix) {
			found, parts = true, []string{strings.TrimPrefix(line, docPrefix)}
			continue
		}
		if found && line != "" {
			parts = append(parts, line)
		}
	}
	return strings.Join(parts, " "), found
}

func typeOf(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "object"
	case yaml.SequenceNode:
		return "list"
	}
	switch n.Tag {
	case "!!bool":
		return "bool"
	case "!!int", "!!float":
		return "number"
	}
	return "string"
}

func defaultOf(n *yaml.Node) (string, error) {
	if n.Kind == yaml.ScalarNode {
		if n.Tag == "!!str" {
			return fmt.Sprintf("%q", n.Value), nil
		}
		return n.Value, nil
	}
	// Collections as flow-style YAML on one line.
	flow := *n
	setFlow(&flow)
	out, err := yaml.Marshal(&flow)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

func setFlow(n *yaml.Node) {
	n.Style = yaml.FlowStyle
	n.HeadComment, n.LineComment, n.FootComment = "", "", ""
	for i, c := range n.Content {
		copied := *c
		setFlow(&copied)
		n.Content[i] = &copied
	}
}

// Table renders rows as a Markdown table.
func Table(rows []Row) string {
	var b strings.Builder
	b.WriteString("| Key | Type | Default | Description |\n|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| `%s` | %s | `%s` | %s |\n", r.Key, r.Type, escape(r.Default), escape(r.Description))
	}
	return b.String()
}

// escape keeps a cell one cell: pipes would split it, angle brackets would become HTML.
func escape(s string) string {
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;").Replace(s)
}

// Splice replaces what lies between the markers of readme with table.
func Splice(readme []byte, table string) ([]byte, error) {
	begin := bytes.Index(readme, []byte(beginMarker))
	end := bytes.Index(readme, []byte(endMarker))
	if begin < 0 || end < begin {
		return nil, fmt.Errorf("no %s ... %s section", beginMarker, endMarker)
	}
	var out bytes.Buffer
	out.Write(readme[:begin+len(beginMarker)])
	out.WriteString("\n")
	out.WriteString(table)
	out.Write(readme[end:])
	return out.Bytes(), nil
}
