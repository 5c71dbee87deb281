package plugins

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

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
	// Lgtm configures the lgtm plugin per org or repository.
	Lgtm []Lgtm `json:"lgtm,omitempty"`
	// Label configures the label plugin.
	Label Label `json:"label,omitempty"`
}

// Lgtm holds the lgtm plugin's settings for a set of repositories.
type Lgtm struct {
	// Repos are "org" or "org/repo" entries this block applies to. A repository may appear in
	// one block only; a repository entry wins over its org's.
	Repos []string `json:"repos,omitempty"`
	// RetainLabelOnPush keeps the lgtm label when new commits are pushed to a pull request.
	// By default a push removes it, so reviewers look again at what changed.
	RetainLabelOnPush bool `json:"retain_label_on_push,omitempty"`
}

// Label holds the label plugin's settings.
type Label struct {
	// AdditionalLabels are the labels /label and /remove-label may set, whether or not the
	// repository defines them already. Names are matched ignoring case and may not contain
	// spaces, since a command's arguments are separated by spaces.
	AdditionalLabels []string `json:"additional_labels,omitempty"`
	// RestrictedLabels maps "*", "org" or "org/repo" to labels only some people may add or
	// remove with the label plugin's commands. A repository gets the entries of all three,
	// merged per label (names matched ignoring case, users and teams unioned). /label may set
	// a restricted label whether or not additional_labels lists it.
	RestrictedLabels map[string][]RestrictedLabel `json:"restricted_labels,omitempty"`
}

// RestrictedLabel names a label and who may add or remove it: the listed users and the
// members of the listed teams of the repository's org. Nobody else can, through any label
// command; an entry listing nobody locks the label.
type RestrictedLabel struct {
	Label string `json:"label"`
	// AllowedTeams are team slugs of the repository's org.
	AllowedTeams []string `json:"allowed_teams,omitempty"`
	// AllowedUsers are GitHub logins.
	AllowedUsers []string `json:"allowed_users,omitempty"`
	// AssignOn is accepted for compatibility with Prow's plugins.yaml, where it assigns the
	// allowed users when one of these labels is added; bosun does not act on it.
	AssignOn []AssignOnLabel `json:"assign_on,omitempty"`
}

// AssignOnLabel is one entry of RestrictedLabel.AssignOn.
type AssignOnLabel struct {
	Label string `json:"label"`
}

// maxLabelName is the longest label name GitHub accepts, in characters.
const maxLabelName = 50

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
		if !isOrgOrRepo(where) {
			errs = append(errs, fmt.Errorf("%s: plugins: %q is neither an org nor org/repo", name, where))
		}
		for _, n := range names {
			if _, ok := reg.Get(n); !ok {
				errs = append(errs, fmt.Errorf("%s: plugins: %s: unknown plugin %q (known: %s)", name, where, n, strings.Join(reg.Names(), ", ")))
			}
		}
	}
	errs = append(errs, c.validateLgtm(name)...)
	errs = append(errs, c.Label.validate(name)...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &c, nil
}

// isOrgOrRepo reports whether s has the shape of "org" or "org/repo".
func isOrgOrRepo(s string) bool {
	return s != "" && strings.Count(s, "/") <= 1 && !strings.HasPrefix(s, "/") && !strings.HasSuffix(s, "/")
}

// validateLgtm checks that every lgtm block names repositories, and each repository once.
func (c *Configuration) validateLgtm(name string) []error {
	var errs []error
	seen := map[string]int{}
	for i, l := range c.Lgtm {
		if len(l.Repos) == 0 {
			errs = append(errs, fmt.Errorf("%s: lgtm[%d]: repos is empty", name, i))
		}
		for _, r := range l.Repos {
			if !isOrgOrRepo(r) {
				errs = append(errs, fmt.Errorf("%s: lgtm[%d]: %q is neither an org nor org/repo", name, i, r))
				continue
			}
			if j, dup := seen[strings.ToLower(r)]; dup {
				errs = append(errs, fmt.Errorf("%s: lgtm[%d]: %q is already configured by lgtm[%d]", name, i, r, j))
				continue
			}
			seen[strings.ToLower(r)] = i
		}
	}
	return errs
}

// validate checks that every additional and restricted label can be named in a command,
// once per list, and that restricted_labels is keyed by "*", orgs and repositories.
func (l Label) validate(name string) []error {
	var errs []error
	seen := map[string]bool{}
	for _, label := range l.AdditionalLabels {
		if err := checkLabelName(label); err != nil {
			errs = append(errs, fmt.Errorf("%s: label: additional_labels: %w", name, err))
		} else if seen[strings.ToLower(label)] {
			errs = append(errs, fmt.Errorf("%s: label: additional_labels: %q is listed twice", name, label))
		}
		seen[strings.ToLower(label)] = true
	}
	keys := slices.Sorted(maps.Keys(l.RestrictedLabels))
	seenKeys := map[string]string{}
	for _, key := range keys {
		where := fmt.Sprintf("%s: label: restricted_labels: %q", name, key)
		if key != "*" && (!isOrgOrRepo(key) || strings.ContainsFunc(key, func(c rune) bool { return c == '*' || unicode.IsSpace(c) })) {
			errs = append(errs, fmt.Errorf(`%s: the key is neither "*", an org nor org/repo`, where))
		}
		if other, dup := seenKeys[strings.ToLower(key)]; dup {
			errs = append(errs, fmt.Errorf("%s: the key is also written %q; GitHub names ignore case", where, other))
		}
		seenKeys[strings.ToLower(key)] = key
		seenLabels := map[string]bool{}
		for i, r := range l.RestrictedLabels[key] {
			errs = append(errs, r.validate(fmt.Sprintf("%s[%d]", where, i), seenLabels)...)
		}
	}
	return errs
}

// validate checks one restricted label entry; seen holds the lower-cased labels of the
// entries before it under the same key.
func (r RestrictedLabel) validate(where string, seen map[string]bool) []error {
	var errs []error
	if err := checkLabelName(r.Label); err != nil {
		errs = append(errs, fmt.Errorf("%s: label: %w", where, err))
	} else if seen[strings.ToLower(r.Label)] {
		errs = append(errs, fmt.Errorf("%s: label %q is listed twice", where, r.Label))
	}
	seen[strings.ToLower(r.Label)] = true
	for _, team := range r.AllowedTeams {
		if team == "" || strings.ContainsFunc(team, func(c rune) bool { return c == '/' || unicode.IsSpace(c) }) {
			errs = append(errs, fmt.Errorf("%s: allowed_teams: %q is not a team slug (a team of the repository's org, named without the org)", where, team))
		}
	}
	for _, user := range r.AllowedUsers {
		if user == "" || strings.ContainsFunc(user, func(c rune) bool { return c == '/' || c == '@' || unicode.IsSpace(c) }) {
			errs = append(errs, fmt.Errorf("%s: allowed_users: %q is not a GitHub login (written without @)", where, user))
		}
	}
	for j, a := range r.AssignOn {
		if err := checkLabelName(a.Label); err != nil {
			errs = append(errs, fmt.Errorf("%s: assign_on[%d]: label: %w", where, j, err))
		}
	}
	return errs
}

// checkLabelName reports why a label named in plugins.yaml could not be set by a command.
func checkLabelName(label string) error {
	switch {
	case label == "":
		return errors.New("empty label name")
	case strings.ContainsFunc(label, unicode.IsSpace):
		return fmt.Errorf("%q contains a space, which /label cannot name", label)
	case utf8.RuneCountInString(label) > maxLabelName:
		return fmt.Errorf("%q is longer than the %d characters GitHub allows in a label name", label, maxLabelName)
	}
	return nil
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

// LgtmFor returns the lgtm settings for org/repo: a repository entry wins over its org's;
// no entry means the defaults (a push removes the label).
func (c *Configuration) LgtmFor(org, repo string) Lgtm {
	if c == nil {
		return Lgtm{}
	}
	var orgMatch *Lgtm
	for i, l := range c.Lgtm {
		for _, r := range l.Repos {
			if strings.EqualFold(r, org+"/"+repo) {
				return l
			}
			if strings.EqualFold(r, org) && orgMatch == nil {
				orgMatch = &c.Lgtm[i]
			}
		}
	}
	if orgMatch != nil {
		return *orgMatch
	}
	return Lgtm{}
}

// AdditionalLabels returns the labels the label plugin's /label may set.
func (c *Configuration) AdditionalLabels() []string {
	if c == nil {
		return nil
	}
	return c.Label.AdditionalLabels
}

// RestrictedLabelsFor returns the restricted labels of org/repo: the entries under "*", the
// org and the repository (keys matched ignoring case), merged per label, in that order.
func (c *Configuration) RestrictedLabelsFor(org, repo string) []RestrictedLabel {
	if c == nil {
		return nil
	}
	var out []RestrictedLabel
	for _, want := range []string{"*", org, org + "/" + repo} {
		for key, entries := range c.Label.RestrictedLabels {
			if !strings.EqualFold(key, want) {
				continue
			}
			for _, r := range entries {
				i := slices.IndexFunc(out, func(o RestrictedLabel) bool { return strings.EqualFold(o.Label, r.Label) })
				if i < 0 {
					out = append(out, RestrictedLabel{Label: r.Label})
					i = len(out) - 1
				}
				out[i].AllowedTeams = unionFold(out[i].AllowedTeams, r.AllowedTeams)
				out[i].AllowedUsers = unionFold(out[i].AllowedUsers, r.AllowedUsers)
				for _, a := range r.AssignOn {
					if !slices.ContainsFunc(out[i].AssignOn, func(o AssignOnLabel) bool { return strings.EqualFold(o.Label, a.Label) }) {
						out[i].AssignOn = append(out[i].AssignOn, a)
					}
				}
			}
		}
	}
	return out
}

// unionFold appends to a the names of b it lacks, ignoring case.
func unionFold(a, b []string) []string {
	for _, n := range b {
		if !slices.ContainsFunc(a, func(o string) bool { return strings.EqualFold(o, n) }) {
			a = append(a, n)
		}
	}
	return a
}
