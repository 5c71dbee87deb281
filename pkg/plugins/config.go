package plugins

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"sigs.k8s.io/yaml"
)

// Configuration is plugins.yaml: which plugins run where, and the settings of those that
// have any. Keys and layout follow Prow's plugins.yaml, which loads unchanged: sections of
// plugins bosun does not have, settings it does not act on and Prow plugins it lacks are
// warnings (see Warnings), not errors.
type Configuration struct {
	// Plugins maps "org" or "org/repo" to the plugins enabled there; a repository gets the
	// union of its org's (unless the org excludes it) and its own.
	Plugins map[string]OrgPlugins `json:"plugins,omitempty"`
	// Triggers configures the trigger plugin per org or repository.
	Triggers []Trigger `json:"triggers,omitempty"`
	// Lgtm configures the lgtm plugin per org or repository.
	Lgtm []Lgtm `json:"lgtm,omitempty"`
	// Label configures the label plugin.
	Label Label `json:"label,omitempty"`
	// Approve is Prow's approve section. It is checked, but bosun's approve plugin reads
	// none of it.
	Approve []Approve `json:"approve,omitempty"`
	// Help is Prow's help section (its /help plugin's help-wanted guidelines). It is
	// checked, but bosun's help plugin, which lists the commands, reads none of it.
	Help ProwHelp `json:"help,omitempty"`

	// warnings are what the file holds that bosun accepts but does not act on.
	warnings []string
}

// Warnings returns what plugins.yaml holds that bosun accepts but does not act on: sections
// and settings of Prow's that bosun ignores, and Prow plugins it does not have, one line
// per kind of problem, each naming the file.
func (c *Configuration) Warnings() []string {
	if c == nil {
		return nil
	}
	return c.warnings
}

// Approve is one entry of Prow's approve section.
type Approve struct {
	Repos               []string `json:"repos,omitempty"`
	IssueRequired       bool     `json:"issue_required,omitempty" bosun:"ignored"`
	RequireSelfApproval *bool    `json:"require_self_approval,omitempty" bosun:"ignored"`
	LgtmActsAsApprove   bool     `json:"lgtm_acts_as_approve,omitempty" bosun:"ignored"`
	IgnoreReviewState   *bool    `json:"ignore_review_state,omitempty" bosun:"ignored"`
	CommandHelpLink     string   `json:"commandHelpLink,omitempty" bosun:"ignored"`
	PrProcessLink       string   `json:"pr_process_link,omitempty" bosun:"ignored"`
}

// ProwHelp is Prow's help section.
type ProwHelp struct {
	HelpGuidelinesURL     string `json:"help_guidelines_url,omitempty" bosun:"ignored"`
	HelpGuidelinesSummary string `json:"help_guidelines_summary,omitempty" bosun:"ignored"`
}

// Lgtm holds the lgtm plugin's settings for a set of repositories.
type Lgtm struct {
	// Repos are "org" or "org/repo" entries this block applies to. A repository may appear in
	// one block only; a repository entry wins over its org's.
	Repos []string `json:"repos,omitempty"`
	// RetainLabelOnPush keeps the lgtm label when new commits are pushed to a pull request.
	// By default a push removes it, so reviewers look again at what changed.
	RetainLabelOnPush bool `json:"retain_label_on_push,omitempty"`
	// Prow's settings bosun accepts but does not act on.
	ReviewActsAsLgtm bool   `json:"review_acts_as_lgtm,omitempty" bosun:"ignored"`
	StoreTreeHash    bool   `json:"store_tree_hash,omitempty" bosun:"ignored"`
	StickyLgtmTeam   string `json:"trusted_team_for_sticky_lgtm,omitempty" bosun:"ignored"`
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
	AssignOn []AssignOnLabel `json:"assign_on,omitempty" bosun:"ignored"`
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
	// Prow's settings bosun accepts but does not act on.
	JoinOrgURL             string `json:"join_org_url,omitempty" bosun:"ignored"`
	IgnoreOkToTest         bool   `json:"ignore_ok_to_test,omitempty" bosun:"ignored"`
	ElideSkippedContexts   bool   `json:"elide_skipped_contexts,omitempty" bosun:"ignored"`
	TriggerGitHubWorkflows bool   `json:"trigger_github_workflows,omitempty" bosun:"ignored"`
	OrgInvite              any    `json:"org_invite,omitempty" bosun:"ignored"`
}

// LoadConfiguration reads and validates plugins.yaml against the plugins in reg. What the
// file holds that bosun accepts but does not act on is in the result's Warnings.
func LoadConfiguration(path string, reg *Registry) (*Configuration, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plugin config: %w", err)
	}
	return ParseConfiguration(path, data, reg)
}

// ParseConfiguration parses plugins.yaml content; name is used in errors and warnings.
// Errors name the file and, where the key can be found, its line.
func ParseConfiguration(name string, data []byte, reg *Registry) (*Configuration, error) {
	// sigs.k8s.io/yaml converts with YAML 1.1 rules, as Prow does, and rejects duplicate keys.
	jsonData, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(jsonData, &top); err != nil {
		return nil, fmt.Errorf("%s: the file must be a mapping of sections: %w", name, err)
	}
	tree, err := parseTree(name, data)
	if err != nil {
		return nil, err
	}
	var errs []error
	var ignored []string
	known := slices.Concat(decodedSections, ignoredSections)
	slices.Sort(known)
	for _, key := range slices.Sorted(maps.Keys(top)) {
		switch {
		case slices.Contains(decodedSections, key):
		case slices.Contains(ignoredSections, key):
			ignored = append(ignored, key)
		default:
			errs = append(errs, fmt.Errorf("%s: unknown field %q%s", tree.at(tree.key(key)), key, didYouMean(key, known)))
		}
	}
	// The sections bosun decodes are checked key by key against the node tree below, so
	// the decode itself can skip the others. It converts each value for its target type, as
	// Prow does, so that a label named "y" stays a string.
	var c Configuration
	if err := yaml.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	fields := jsonFields(reflect.TypeOf(c))
	for _, key := range decodedSections {
		if _, value := tree.lookup(key); value != nil {
			errs = append(errs, tree.checkKeys(value, fields[key].Type, key)...)
		}
	}
	errs = append(errs, c.validatePlugins(tree, reg)...)
	errs = append(errs, c.validateLgtm(name)...)
	errs = append(errs, c.Label.validate(name)...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(ignored) > 0 {
		places := make([]string, len(ignored))
		for i, key := range ignored {
			places[i] = key
			if k := tree.key(key); k != nil {
				places[i] = fmt.Sprintf("%s (line %d)", key, k.Line)
			}
		}
		c.warnings = append(c.warnings, fmt.Sprintf("%s: sections bosun has no plugin or feature for, ignored: %s", name, strings.Join(places, ", ")))
	}
	v := reflect.ValueOf(c)
	for _, key := range decodedSections {
		if unused := ignoredFields(v.FieldByIndex(fields[key].Index)); len(unused) > 0 {
			c.warnings = append(c.warnings, fmt.Sprintf("%s: %s: Prow settings bosun accepts but does not act on: %s", tree.at(tree.key(key)), key, strings.Join(unused, ", ")))
		}
	}
	return &c, nil
}

// validatePlugins checks the plugins section: keys of the shape of an org or org/repo,
// excluded_repos only on orgs and naming their repositories, and plugin names bosun has. A
// Prow plugin bosun lacks is a warning (one for the file); any other name is an error.
func (c *Configuration) validatePlugins(tree *fileTree, reg *Registry) []error {
	var errs []error
	known := reg.Names()
	candidates := slices.Concat(known, prowPlugins)
	missing := map[string][]string{}
	var hosts []string
	for _, where := range slices.Sorted(maps.Keys(c.Plugins)) {
		op := c.Plugins[where]
		at := tree.at(tree.key("plugins", where))
		if strings.HasPrefix(where, "https://") || strings.HasPrefix(where, "http://") {
			// Prow keys Gerrit repositories by URL; bosun serves GitHub only.
			hosts = append(hosts, where)
			continue
		}
		if !isOrgOrRepo(where) {
			errs = append(errs, fmt.Errorf("%s: plugins: %q is neither an org nor org/repo", at, where))
		}
		if len(op.ExcludedRepos) > 0 && strings.Contains(where, "/") {
			errs = append(errs, fmt.Errorf("%s: plugins: %s: excluded_repos applies to an org's plugins, and %q is a repository", at, where, where))
		}
		for _, e := range op.ExcludedRepos {
			org, repo, hasOrg := strings.Cut(e, "/")
			if e == "" || strings.Contains(repo, "/") || (hasOrg && (!strings.EqualFold(org, where) || repo == "")) {
				errs = append(errs, fmt.Errorf("%s: plugins: %s: excluded_repos: %q is not a repository of %s (write it without the org, as Prow does)", at, where, e, where))
			}
		}
		for i, n := range op.Plugins {
			if _, ok := reg.Get(n); ok {
				continue
			}
			if slices.Contains(prowPlugins, n) {
				missing[n] = append(missing[n], where)
				continue
			}
			errs = append(errs, fmt.Errorf("%s: plugins: %s: unknown plugin %q%s (known: %s)", tree.at(tree.pluginNode(where, i)), where, n, didYouMean(n, candidates), strings.Join(known, ", ")))
		}
	}
	if len(missing) > 0 {
		var parts []string
		for _, n := range slices.Sorted(maps.Keys(missing)) {
			parts = append(parts, fmt.Sprintf("%s (%s)", n, placesList(missing[n])))
		}
		c.warnings = append(c.warnings, fmt.Sprintf("%s: plugins: Prow plugins bosun does not have are enabled and will not run: %s", tree.name, strings.Join(parts, "; ")))
	}
	if len(hosts) > 0 {
		c.warnings = append(c.warnings, fmt.Sprintf("%s: plugins: entries for repositories named by URL (Prow's Gerrit repositories) are ignored, since bosun serves GitHub: %s", tree.name, placesList(hosts)))
	}
	return errs
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

// EnabledFor returns the plugins enabled for org/repo: its org's, unless the org's
// excluded_repos names it, then its own, without duplicates. The names are the file's, so
// they may include Prow plugins bosun does not have (a warning at load); callers look each
// one up in the registry.
func (c *Configuration) EnabledFor(org, repo string) []string {
	if c == nil {
		return nil
	}
	var names []string
	add := func(ns []string) {
		for _, n := range ns {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	if o := c.Plugins[org]; !o.excludes(org, repo) {
		add(o.Plugins)
	}
	add(c.Plugins[org+"/"+repo].Plugins)
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
