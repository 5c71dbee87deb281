package plugins

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// Configuration is plugins.yaml: which plugins run where, and the settings of those that
// have any. Keys and layout follow Prow's plugins.yaml.
type Configuration struct {
	// Plugins maps "org" or "org/repo" to the plugins enabled there; a repository gets the
	// union of its org's and its own.
	Plugins map[string][]string `json:"plugins,omitempty"`
	// Triggers configures the trigger plugin per org or repository.
	Triggers []Trigger `json:"triggers,omitempty"`
}

// Trigger holds who the trigger plugin trusts for a set of repositories.
type Trigger struct {
	// Repos are "org" or "org/repo" entries this block applies to.
	Repos []string `json:"repos,omitempty"`
	// TrustedApps are GitHub App logins (without "[bot]") whose PRs run without /ok-to-test.
	TrustedApps []string `json:"trusted_apps,omitempty"`
	// TrustedOrg is a further org whose members are trusted.
	TrustedOrg string `json:"trusted_org,omitempty"`
	// OnlyOrgMembers stops trusting repository collaborators who are not org members.
	OnlyOrgMembers bool `json:"only_org_members,omitempty"`
}

// LoadConfiguration reads and validates plugins.yaml against the plugins in reg.
func LoadConfiguration(path string, reg *Registry) (*Configuration, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plugin config: %w", err)
	}
	return ParseConfiguration(path, data, reg)
}

// ParseConfiguration parses plugins.yaml content; name is used in errors.
func ParseConfiguration(name string, data []byte, reg *Registry) (*Configuration, error) {
	var c Configuration
	if err := yaml.UnmarshalStrict(data, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var errs []error
	for where, names := range c.Plugins {
		if strings.Count(where, "/") > 1 || strings.HasPrefix(where, "/") || strings.HasSuffix(where, "/") {
			errs = append(errs, fmt.Errorf("%s: plugins: %q is neither an org nor org/repo", name, where))
		}
		for _, n := range names {
			if _, ok := reg.Get(n); !ok {
				errs = append(errs, fmt.Errorf("%s: plugins: %s: unknown plugin %q (known: %s)", name, where, n, strings.Join(reg.Names(), ", ")))
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &c, nil
}

// EnabledFor returns the plugins enabled for org/repo.
func (c *Configuration) EnabledFor(org, repo string) []string {
	if c == nil {
		return nil
	}
	var names []string
	for _, key := range []string{org, org + "/" + repo} {
		for _, n := range c.Plugins[key] {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	return names
}

// TriggerFor returns the trigger settings for org/repo: a repository entry wins over its
// org's; no entry means Prow's defaults (trust org members and collaborators).
func (c *Configuration) TriggerFor(org, repo string) Trigger {
	if c == nil {
		return Trigger{}
	}
	var orgMatch *Trigger
	for i, t := range c.Triggers {
		for _, r := range t.Repos {
			if r == org+"/"+repo {
				return t
			}
			if r == org && orgMatch == nil {
				orgMatch = &c.Triggers[i]
			}
		}
	}
	if orgMatch != nil {
		return *orgMatch
	}
	return Trigger{}
}
