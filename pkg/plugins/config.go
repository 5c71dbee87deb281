package plugins

import (
	"cmp"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"reflect"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation"
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
	// ConfigUpdater configures the config-updater plugin: which files of the repository go
	// into which ConfigMaps when a pull request changing them merges.
	ConfigUpdater ConfigUpdater `json:"config_updater,omitempty"`

	// warnings are what the file holds that bosun accepts but does not act on.
	warnings []string
	// configMaps are ConfigUpdater's maps resolved for the hook's cluster, in the order
	// files are matched against them.
	configMaps []ConfigMapTarget
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
	errs = append(errs, c.resolveConfigUpdater(tree)...)
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

// DefaultCluster is the name Prow gives the cluster its own components run in. It is the
// only cluster config_updater writes to in bosun: the hook's.
const DefaultCluster = "default"

// The bounds of config_updater.
const (
	// maxPartitions is the most ConfigMaps one map may spread its keys over, as in Prow.
	maxPartitions = 256
	// maxGlobAlternatives is the most paths one glob's {a,b} alternatives may expand to.
	maxGlobAlternatives = 64
)

// ConfigUpdater is Prow's config_updater section: the files of a repository that the
// config-updater plugin copies into ConfigMaps when a pull request changing them merges.
type ConfigUpdater struct {
	// Maps maps a file of the repository, named by its path or by a glob, to the ConfigMap
	// it goes in. A glob's "*", "?" and "[...]" match within a directory, a "**" directory
	// matches any number of directories, and "{a,b}" matches either alternative. With no
	// maps, Prow's defaults apply: config/prow/config.yaml goes in the ConfigMap config and
	// config/prow/plugins.yaml in plugins.
	Maps map[string]ConfigMapSpec `json:"maps,omitempty"`
	// GZIP stores every file gzipped, in binaryData, unless its map says otherwise.
	GZIP bool `json:"gzip,omitempty"`
	// ClusterGroups name sets of clusters and namespaces that maps can target.
	ClusterGroups map[string]ClusterGroup `json:"cluster_groups,omitempty"`
}

// ClusterGroup is a named set of clusters, with the namespaces targeted in each.
type ClusterGroup struct {
	Clusters   []string `json:"clusters,omitempty"`
	Namespaces []string `json:"namespaces,omitempty"`
}

// ConfigMapSpec is where the files matching one key of config_updater.maps go.
type ConfigMapSpec struct {
	// Name is the ConfigMap's name.
	Name string `json:"name,omitempty"`
	// PartitionedNames, instead of Name, spread the keys over several ConfigMaps, to stay
	// under the 1 MiB one may hold: a key goes in the one the first byte of its SHA-256
	// picks, as in Prow, so that existing partitions keep their keys.
	PartitionedNames []string `json:"partitioned_names,omitempty"`
	// Key is the ConfigMap key the file goes under. By default it is the file's base name,
	// or with UseFullPathAsKey its path with "/" replaced by "-".
	Key              string `json:"key,omitempty"`
	UseFullPathAsKey bool   `json:"use_full_path_as_key,omitempty"`
	// GZIP, when set, overrides config_updater.gzip for these files.
	GZIP *bool `json:"gzip,omitempty"`
	// Clusters maps a cluster to the namespaces the ConfigMap goes in there; an empty
	// namespace is the ProwJob namespace. bosun writes in DefaultCluster only (other
	// clusters are a warning at load); with neither Clusters nor ClusterGroups, the
	// ConfigMap goes in the ProwJob namespace, as in Prow.
	Clusters map[string][]string `json:"clusters,omitempty"`
	// ClusterGroups names config_updater.cluster_groups to target instead of Clusters.
	ClusterGroups []string `json:"cluster_groups,omitempty"`
	// AllowedRepos, when set, are the only orgs and repositories whose pull requests update
	// this ConfigMap; the pull requests of DeniedRepos never do.
	AllowedRepos []string `json:"allowed_repos,omitempty"`
	DeniedRepos  []string `json:"denied_repos,omitempty"`
	// Namespace and AdditionalNamespaces are the keys Prow had before clusters, retired
	// in 2020: namespaces of the default cluster, used when neither Clusters nor
	// ClusterGroups is set (a warning either way).
	Namespace            string   `json:"namespace,omitempty"`
	AdditionalNamespaces []string `json:"additional_namespaces,omitempty"`
}

// defaultConfigMaps are Prow's config_updater maps when plugins.yaml has none.
var defaultConfigMaps = map[string]ConfigMapSpec{
	"config/prow/config.yaml":  {Name: "config"},
	"config/prow/plugins.yaml": {Name: "plugins"},
}

// ConfigMapTarget is one entry of config_updater.maps, resolved for the hook's cluster.
type ConfigMapTarget struct {
	// Pattern is the entry's key: a path or a glob.
	Pattern string
	// Names are the ConfigMap's name, or its partitions' names.
	Names []string
	// Key, UseFullPathAsKey and GZIP are the entry's, GZIP with the section's default.
	Key              string
	UseFullPathAsKey bool
	GZIP             bool
	// Namespaces are those the ConfigMap goes in, sorted and without duplicates; "" is
	// the ProwJob namespace. Empty when the entry targets only other clusters.
	Namespaces []string

	allowedRepos, deniedRepos []string
	// globs are Pattern's alternatives, each split into path segments.
	globs [][]string
}

// Matches reports whether file, a path of the repository, is one this entry maps.
func (t ConfigMapTarget) Matches(file string) bool {
	name := strings.Split(file, "/")
	return slices.ContainsFunc(t.globs, func(g []string) bool { return matchSegments(g, name) })
}

// KeyFor returns the ConfigMap key file goes under.
func (t ConfigMapTarget) KeyFor(file string) string {
	switch {
	case t.Key != "":
		return t.Key
	case t.UseFullPathAsKey:
		return strings.ReplaceAll(file, "/", "-")
	}
	return path.Base(file)
}

// NameFor returns the name of the ConfigMap key goes in: the one name, or the partition
// Prow would pick.
func (t ConfigMapTarget) NameFor(key string) string {
	if len(t.Names) == 1 {
		return t.Names[0]
	}
	sum := sha256.Sum256([]byte(key))
	return t.Names[int(sum[0])%len(t.Names)]
}

// allows reports whether org/repo's pull requests may update the ConfigMap: not denied,
// and allowed if there is an allow list. Names are matched ignoring case, as GitHub does.
func (t ConfigMapTarget) allows(org, repo string) bool {
	match := func(e string) bool { return strings.EqualFold(e, org) || strings.EqualFold(e, org+"/"+repo) }
	if slices.ContainsFunc(t.deniedRepos, match) {
		return false
	}
	return len(t.allowedRepos) == 0 || slices.ContainsFunc(t.allowedRepos, match)
}

// ConfigMapsFor returns the config_updater maps org/repo's pull requests may update, in
// the order a file is matched against them (the first match wins): exact paths first, then
// globs sorted. With no maps in plugins.yaml these are Prow's defaults.
func (c *Configuration) ConfigMapsFor(org, repo string) []ConfigMapTarget {
	if c == nil {
		return nil
	}
	var out []ConfigMapTarget
	for _, t := range c.configMaps {
		if t.allows(org, repo) {
			out = append(out, t)
		}
	}
	return out
}

// resolveConfigUpdater checks config_updater and resolves its maps for the hook's cluster
// into c.configMaps. Targets in other clusters and Prow's retired namespace keys are
// warnings.
func (c *Configuration) resolveConfigUpdater(tree *fileTree) []error {
	cu := c.ConfigUpdater
	specs := cu.Maps
	if len(specs) == 0 {
		specs = defaultConfigMaps
	}
	var errs []error
	var elsewhere, retired []string
	// written finds two entries writing the same key of the same ConfigMap, where the key
	// is known before any file is: Prow refuses those too.
	written := map[[3]string]string{}
	for _, pattern := range slices.Sorted(maps.Keys(specs)) {
		spec := specs[pattern]
		where := fmt.Sprintf("%s: config_updater: maps: %q", tree.at(tree.key("config_updater", "maps", pattern)), pattern)
		fail := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s: %s", where, fmt.Sprintf(format, args...)))
		}
		t := ConfigMapTarget{
			Pattern:          pattern,
			Key:              spec.Key,
			UseFullPathAsKey: spec.UseFullPathAsKey,
			GZIP:             cu.GZIP,
			allowedRepos:     spec.AllowedRepos,
			deniedRepos:      spec.DeniedRepos,
		}
		if spec.GZIP != nil {
			t.GZIP = *spec.GZIP
		}
		globs, err := compileGlob(pattern)
		if err != nil {
			fail("%v", err)
		}
		t.globs = globs

		switch {
		case spec.Name != "" && len(spec.PartitionedNames) > 0:
			fail("name and partitioned_names are mutually exclusive")
		case spec.Name != "":
			t.Names = []string{spec.Name}
		case len(spec.PartitionedNames) > maxPartitions:
			fail("partitioned_names lists %d ConfigMaps, more than the %d allowed", len(spec.PartitionedNames), maxPartitions)
		case len(spec.PartitionedNames) > 0:
			t.Names = spec.PartitionedNames
		default:
			fail("name is empty")
		}
		for _, n := range t.Names {
			if msgs := validation.IsDNS1123Subdomain(n); len(msgs) > 0 {
				fail("%q is not a valid ConfigMap name: %s", n, strings.Join(msgs, "; "))
			}
		}
		if spec.Key != "" {
			if msgs := validation.IsConfigMapKey(spec.Key); len(msgs) > 0 {
				fail("key: %q is not a valid ConfigMap key: %s", spec.Key, strings.Join(msgs, "; "))
			}
		}
		for _, r := range slices.Concat(spec.AllowedRepos, spec.DeniedRepos) {
			if !isOrgOrRepo(r) {
				fail("allowed_repos and denied_repos: %q is neither an org nor org/repo", r)
			}
		}

		var skipped []string
		useCluster := func(cluster string, namespaces []string) {
			if cluster == DefaultCluster {
				t.Namespaces = append(t.Namespaces, namespaces...)
			} else if !slices.Contains(skipped, cluster) {
				skipped = append(skipped, cluster)
			}
		}
		hasRetired := spec.Namespace != "" || len(spec.AdditionalNamespaces) > 0
		switch {
		case len(spec.Clusters) > 0 && len(spec.ClusterGroups) > 0:
			fail("clusters and cluster_groups are mutually exclusive")
		case len(spec.Clusters) > 0:
			for _, cluster := range slices.Sorted(maps.Keys(spec.Clusters)) {
				useCluster(cluster, spec.Clusters[cluster])
			}
		case len(spec.ClusterGroups) > 0:
			for _, g := range spec.ClusterGroups {
				group, ok := cu.ClusterGroups[g]
				if !ok {
					fail("cluster_groups: %q is not defined in config_updater.cluster_groups%s", g, didYouMean(g, slices.Sorted(maps.Keys(cu.ClusterGroups))))
					continue
				}
				for _, cluster := range group.Clusters {
					useCluster(cluster, group.Namespaces)
				}
			}
		default:
			t.Namespaces = append([]string{spec.Namespace}, spec.AdditionalNamespaces...)
		}
		if hasRetired {
			retired = append(retired, pattern)
		}
		if len(skipped) > 0 {
			elsewhere = append(elsewhere, fmt.Sprintf("%s (%s)", pattern, strings.Join(skipped, ", ")))
		}
		slices.Sort(t.Namespaces)
		t.Namespaces = slices.Compact(t.Namespaces)
		for _, ns := range t.Namespaces {
			if msgs := validation.IsDNS1123Label(ns); ns != "" && len(msgs) > 0 {
				fail("%q is not a valid namespace: %s", ns, strings.Join(msgs, "; "))
			}
		}

		if len(t.Names) > 0 && (spec.Key != "" || isLiteralPath(pattern)) {
			key := t.KeyFor(pattern)
			for _, ns := range t.Namespaces {
				id := [3]string{ns, t.NameFor(key), key}
				if other, dup := written[id]; dup {
					fail("key %q of ConfigMap %q is also written from %q", key, id[1], other)
				}
				written[id] = pattern
			}
		}
		c.configMaps = append(c.configMaps, t)
	}
	// Exact paths are matched before globs, whatever their order in the file.
	slices.SortStableFunc(c.configMaps, func(a, b ConfigMapTarget) int {
		return cmp.Compare(patternRank(a.Pattern), patternRank(b.Pattern))
	})

	at := tree.at(tree.key("config_updater"))
	if len(elsewhere) > 0 {
		c.warnings = append(c.warnings, fmt.Sprintf("%s: config_updater: ConfigMaps in clusters other than %q are skipped, since bosun's hook writes only in the cluster it runs in: %s", at, DefaultCluster, placesList(elsewhere)))
	}
	if len(retired) > 0 {
		c.warnings = append(c.warnings, fmt.Sprintf("%s: config_updater: namespace and additional_namespaces are keys Prow retired (use clusters: {default: [...]}); bosun uses them only where neither clusters nor cluster_groups is set: %s", at, placesList(retired)))
	}
	return errs
}

// patternRank orders exact paths (0) before globs (1).
func patternRank(pattern string) int {
	if isLiteralPath(pattern) {
		return 0
	}
	return 1
}

// isLiteralPath reports whether pattern names one file rather than a glob.
func isLiteralPath(pattern string) bool {
	return !strings.ContainsAny(pattern, `*?[{\`)
}

// compileGlob checks a config_updater.maps key and returns its alternatives split into
// path segments.
func compileGlob(pattern string) ([][]string, error) {
	switch {
	case pattern == "":
		return nil, errors.New("the path is empty")
	case strings.HasPrefix(pattern, "/"):
		return nil, errors.New("the path starts with \"/\"; paths are relative to the repository's root")
	}
	alternatives, err := expandBraces(pattern)
	if err != nil {
		return nil, fmt.Errorf("not a valid glob: %w", err)
	}
	globs := make([][]string, 0, len(alternatives))
	for _, alt := range alternatives {
		segments := strings.Split(alt, "/")
		for _, s := range segments {
			// path.Match checks all of a pattern, even where it stops matching early.
			if _, err := path.Match(s, ""); s != "**" && err != nil {
				return nil, fmt.Errorf("not a valid glob: %q: %w", s, err)
			}
		}
		globs = append(globs, segments)
	}
	return globs, nil
}

// expandBraces expands the {a,b} alternatives of a glob, nested or not, into at most
// maxGlobAlternatives patterns.
func expandBraces(p string) ([]string, error) {
	open := strings.IndexByte(p, '{')
	if open < 0 {
		if strings.Contains(p, "}") {
			return nil, errors.New(`"}" without "{"`)
		}
		return []string{p}, nil
	}
	if strings.Contains(p[:open], "}") {
		return nil, errors.New(`"}" without "{"`)
	}
	depth, start := 0, open+1
	var parts []string
	for i := open; i < len(p); i++ {
		switch p[i] {
		case '{':
			depth++
		case ',':
			if depth == 1 {
				parts = append(parts, p[start:i])
				start = i + 1
			}
		case '}':
			depth--
			if depth > 0 {
				continue
			}
			parts = append(parts, p[start:i])
			var out []string
			for _, part := range parts {
				expanded, err := expandBraces(p[:open] + part + p[i+1:])
				if err != nil {
					return nil, err
				}
				out = append(out, expanded...)
				if len(out) > maxGlobAlternatives {
					return nil, fmt.Errorf("its {} alternatives expand to more than %d paths", maxGlobAlternatives)
				}
			}
			return out, nil
		}
	}
	return nil, errors.New(`"{" without "}"`)
}

// matchSegments matches a path split into segments against a glob split likewise, where a
// "**" segment matches any number of segments.
func matchSegments(glob, name []string) bool {
	for len(glob) > 0 {
		if glob[0] == "**" {
			for i := range len(name) + 1 {
				if matchSegments(glob[1:], name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if ok, _ := path.Match(glob[0], name[0]); !ok {
			return false
		}
		glob, name = glob[1:], name[1:]
	}
	return len(name) == 0
}
