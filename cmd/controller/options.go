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
	"strings"

	"github.com/bosun-ci/bosun/pkg/config"
)

// stringList is a flag that may be repeated, each value a comma-separated list.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(value string) error {
	*l = append(*l, splitList(value)...)
	return nil
}

// splitList splits a comma-separated list, dropping blanks and empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// prowJobNamespace is the flag's value, else the config's prowjob_namespace (defaulted by
// loading), else the config's default: the controller always works in one namespace.
func prowJobNamespace(flagValue string, c *config.Config) string {
	switch {
	case flagValue != "":
		return flagValue
	case c != nil && c.ProwJobNamespace != "":
		return c.ProwJobNamespace
	}
	return config.DefaultProwJobNamespace
}
