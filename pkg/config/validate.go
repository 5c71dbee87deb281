package config

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	yamlv3 "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
)

// jobNamePattern is the job name syntax Prow enforces; validJobName checks it.
const jobNamePattern = `^[A-Za-z0-9-._]+$`

// validJobName reports whether name matches jobNamePattern.
func validJobName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range []byte(name) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '.', c == '_':
		default:
			return false
		}
	}
	return true
}

// reservedLabels are labels bosun sets on every ProwJob and PipelineRun itself; a job may
// not set them (Prow reserves the same ones).
func reservedLabels() []string {
	return []string{"created-by-prow", "prow.k8s.io/type", "prow.k8s.io/id"}
}

// jobRef names a job in errors: `file:line: presubmit "unit" (acme/widgets): field: ...`.
type jobRef struct {
	kind jobKind
	name string
	repo string
	pos  position
}

func (r jobRef) String() string {
	s := string(r.kind)
	if r.name == "" {
		s += " with no name"
	} else {
		s += fmt.Sprintf(" %q", r.name)
	}
	if r.repo != "" {
		s += " (" + r.repo + ")"
	}
	return s
}

// errorf returns an error about one field of the job, at that field's line.
func (r jobRef) errorf(field, format string, args ...any) error {
	return fmt.Errorf("%s: %s: %s: %w", r.pos.at(topField(field)), r, field, fmt.Errorf(format, args...))
}

// wrap returns err as an error about one field of the job.
func (r jobRef) wrap(field string, err error) error {
	return fmt.Errorf("%s: %s: %s: %w", r.pos.at(topField(field)), r, field, err)
}

// topField returns the job-level key of a field path such as "branches[2]".
func topField(field string) string {
	if i := strings.IndexAny(field, ".["); i >= 0 {
		return field[:i]
	}
	return field
}

// validate checks the defaulted config and compiles the regular expressions it holds into
// the jobs' unexported fields. It returns every problem, joined, in a stable order.
func (c *Config) validate() error {
	var errs []error
	errs = append(errs, c.validateSettings()...)
	errs = append(errs, c.Sinker.validate(c.fieldPos)...)
	errs = append(errs, c.Tekton.validate(c.fieldPos)...)
	errs = append(errs, c.Resync.validate(c.file)...)
	for _, repo := range sortedKeys(c.Presubmits) {
		errs = append(errs, c.validatePresubmits(repo, c.Presubmits[repo])...)
	}
	for _, repo := range sortedKeys(c.Postsubmits) {
		errs = append(errs, c.validatePostsubmits(repo, c.Postsubmits[repo])...)
	}
	errs = append(errs, c.validatePeriodics(c.Periodics)...)
	return errors.Join(errs...)
}

// fieldPos returns the file and line of a key path of the main config ("sinker.max_prowjob_age"),
// or just the file if the key is not in it.
func (c *Config) fieldPos(path string) position {
	return position{file: c.file, line: keyLine(c.root, path)}
}

// keyLine returns the line of the key at a path of plain keys joined by ".", or 0 if the
// file does not hold it (a defaulted value, say).
func keyLine(node *yamlv3.Node, path string) int {
	if path == "" {
		return 0
	}
	line := 0
	for _, key := range strings.Split(path, ".") {
		node = resolveAlias(node)
		if node == nil || node.Kind != yamlv3.MappingNode {
			return 0
		}
		var next *yamlv3.Node
		for i := 0; i+1 < len(node.Content); i += 2 {
			if node.Content[i].Value == key {
				next, line = node.Content[i+1], node.Content[i].Line
			}
		}
		if next == nil {
			return 0
		}
		node = next
	}
	return line
}

// validateSettings checks the main config's own fields.
func (c *Config) validateSettings() []error {
	var errs []error
	for _, f := range []struct{ field, value string }{
		{"prowjob_namespace", c.ProwJobNamespace},
		{"pod_namespace", c.PodNamespace},
	} {
		if msgs := validation.IsDNS1123Label(f.value); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("%s: %s: %q is not a valid namespace: %s", c.fieldPos(f.field), f.field, f.value, strings.Join(msgs, "; ")))
		}
	}
	return errs
}

// validatePresubmits checks the presubmits of one repository, compiling their regexes.
func (c *Config) validatePresubmits(repo string, jobs []Presubmit) []error {
	var errs []error
	for i := range jobs {
		p := &jobs[i]
		ref := jobRef{kind: presubmitKind, name: p.Name, repo: repo, pos: p.pos}
		if i == 0 {
			errs = append(errs, validateRepoKey(repo, ref)...)
		}
		errs = append(errs, c.validateJob(&p.JobBase, repo, ref)...)
		errs = append(errs, compileBrancher(&p.Brancher, ref)...)
		errs = append(errs, compileChangeMatcher(&p.RegexpChangeMatcher, p.AlwaysRun, ref)...)
		errs = append(errs, compileTrigger(p, ref)...)
		for _, other := range jobs[:i] {
			errs = append(errs, conflicts(ref, p.Context, p.Brancher, other.JobBase, other.Context, other.Brancher)...)
		}
	}
	return errs
}

// validatePostsubmits checks the postsubmits of one repository, compiling their regexes.
func (c *Config) validatePostsubmits(repo string, jobs []Postsubmit) []error {
	var errs []error
	for i := range jobs {
		p := &jobs[i]
		ref := jobRef{kind: postsubmitKind, name: p.Name, repo: repo, pos: p.pos}
		if i == 0 {
			errs = append(errs, validateRepoKey(repo, ref)...)
		}
		errs = append(errs, c.validateJob(&p.JobBase, repo, ref)...)
		errs = append(errs, compileBrancher(&p.Brancher, ref)...)
		alwaysRun := p.AlwaysRun != nil && *p.AlwaysRun
		errs = append(errs, compileChangeMatcher(&p.RegexpChangeMatcher, alwaysRun, ref)...)
		for _, other := range jobs[:i] {
			errs = append(errs, conflicts(ref, p.Context, p.Brancher, other.JobBase, other.Context, other.Brancher)...)
		}
	}
	return errs
}

// validatePeriodics checks every periodic and parses their intervals.
func (c *Config) validatePeriodics(jobs []Periodic) []error {
	var errs []error
	seen := map[string]position{}
	for i := range jobs {
		p := &jobs[i]
		ref := jobRef{kind: periodicKind, name: p.Name, pos: p.pos}
		errs = append(errs, c.validateJob(&p.JobBase, "", ref)...)
		switch {
		case p.Cron == "" && p.Interval == "":
			errs = append(errs, ref.errorf("cron", "a periodic needs cron or interval"))
		case p.Cron != "" && p.Interval != "":
			errs = append(errs, ref.errorf("interval", "cron and interval are mutually exclusive"))
		case p.Cron != "":
			if err := validateCron(p.Cron); err != nil {
				errs = append(errs, ref.wrap("cron", err))
			}
		default:
			d, err := time.ParseDuration(p.Interval)
			switch {
			case err != nil:
				errs = append(errs, ref.wrap("interval", err))
			case d <= 0:
				errs = append(errs, ref.errorf("interval", "%q must be positive", p.Interval))
			default:
				p.interval = d
			}
		}
		if p.Name == "" {
			continue
		}
		if first, ok := seen[p.Name]; ok {
			errs = append(errs, ref.errorf("name", "duplicate of the periodic defined at %s", first))
			continue
		}
		seen[p.Name] = p.pos
	}
	return errs
}

// validateRepoKey checks a presubmits or postsubmits key; the error is reported once, at
// the first job under the key.
func validateRepoKey(repo string, ref jobRef) []error {
	org, name, ok := strings.Cut(repo, "/")
	if !ok || org == "" || name == "" || strings.Contains(name, "/") {
		return []error{fmt.Errorf("%s: %ss: key %q: want \"org/repo\"", ref.pos, ref.kind, repo)}
	}
	return nil
}

// validateJob checks what every job has and, if its run spec is sound enough to build a
// run from, the PipelineRun it would create (validateTektonRun).
func (c *Config) validateJob(j *JobBase, repo string, ref jobRef) []error {
	errs := validateJobBase(j, c.PodNamespace, ref)
	if len(validateRunSpec(j, ref)) == 0 {
		errs = append(errs, c.validateTektonRun(j, repo, ref)...)
	}
	return errs
}

// validateJobBase checks what every job has.
func validateJobBase(j *JobBase, podNamespace string, ref jobRef) []error {
	var errs []error
	switch {
	case j.Name == "":
		errs = append(errs, ref.errorf("name", "required"))
	case !validJobName(j.Name):
		errs = append(errs, ref.errorf("name", "must match %s", jobNamePattern))
	}
	if j.MaxConcurrency < 0 {
		errs = append(errs, ref.errorf("max_concurrency", "%d is negative", j.MaxConcurrency))
	}
	if j.Agent != prowjobsv1.TektonAgent {
		errs = append(errs, ref.errorf("agent", "%q is not supported: bosun runs only %s jobs", j.Agent, prowjobsv1.TektonAgent))
	}
	// A job without its own namespace has pod_namespace, which is checked once on its own.
	if j.Namespace != nil && *j.Namespace != podNamespace {
		if msgs := validation.IsDNS1123Label(*j.Namespace); len(msgs) > 0 {
			errs = append(errs, ref.errorf("namespace", "%q is not a valid namespace: %s", *j.Namespace, strings.Join(msgs, "; ")))
		}
	}
	errs = append(errs, validateRunSpec(j, ref)...)
	errs = append(errs, validateLabels(j, ref)...)
	for i, r := range j.ExtraRefs {
		if r.Org == "" || r.Repo == "" {
			errs = append(errs, ref.errorf(fmt.Sprintf("extra_refs[%d]", i), "org and repo are required"))
		}
	}
	return errs
}

// validateRunSpec checks that the job has exactly one PipelineRunSpec and that it says which
// pipeline to run. The rest of the spec is Tekton's to validate: validateTektonRun.
func validateRunSpec(j *JobBase, ref jobRef) []error {
	var field string
	var spec *pipelinev1.PipelineRunSpec
	switch {
	case j.PipelineRunSpec != nil && j.TektonPipelineRunSpec != nil:
		return []error{ref.errorf("tekton_pipeline_run_spec", "pipeline_run_spec and tekton_pipeline_run_spec are mutually exclusive")}
	case j.PipelineRunSpec != nil:
		field, spec = "pipeline_run_spec", j.PipelineRunSpec
	case j.TektonPipelineRunSpec != nil:
		if j.TektonPipelineRunSpec.V1Beta1 == nil {
			return []error{ref.errorf("tekton_pipeline_run_spec.v1beta1", "required")}
		}
		field, spec = "tekton_pipeline_run_spec.v1beta1", j.TektonPipelineRunSpec.V1Beta1
	default:
		return []error{ref.errorf("pipeline_run_spec", "a %s job needs pipeline_run_spec or tekton_pipeline_run_spec", prowjobsv1.TektonAgent)}
	}
	switch {
	case spec.PipelineRef == nil && spec.PipelineSpec == nil:
		return []error{ref.errorf(field, "needs pipelineRef or pipelineSpec")}
	case spec.PipelineRef != nil && spec.PipelineSpec != nil:
		return []error{ref.errorf(field, "pipelineRef and pipelineSpec are mutually exclusive")}
	case spec.PipelineRef != nil && spec.PipelineRef.Name == "" && spec.PipelineRef.Resolver == "":
		return []error{ref.errorf(field+".pipelineRef", "needs name or resolver")}
	}
	return nil
}

// validateLabels checks label and annotation syntax the way the API server would, so that
// a bad key fails here rather than when the ProwJob is created.
func validateLabels(j *JobBase, ref jobRef) []error {
	var errs []error
	for _, k := range sortedKeys(j.Labels) {
		field := "labels." + k
		switch {
		case slices.Contains(reservedLabels(), k):
			errs = append(errs, ref.errorf(field, "reserved: bosun sets this label"))
		case len(validation.IsQualifiedName(k)) > 0:
			errs = append(errs, ref.errorf(field, "invalid key: %s", strings.Join(validation.IsQualifiedName(k), "; ")))
		case len(validation.IsValidLabelValue(j.Labels[k])) > 0:
			errs = append(errs, ref.errorf(field, "invalid value %q: %s", j.Labels[k], strings.Join(validation.IsValidLabelValue(j.Labels[k]), "; ")))
		}
	}
	for _, k := range sortedKeys(j.Annotations) {
		if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
			errs = append(errs, ref.errorf("annotations."+k, "invalid key: %s", strings.Join(msgs, "; ")))
		}
	}
	return errs
}

// compileBrancher compiles the branch lists. Each entry is compiled alone first so that an
// error can name the entry; the joined expression is what matching uses.
func compileBrancher(b *Brancher, ref jobRef) []error {
	var errs []error
	compile := func(field string, list []string) *regexp.Regexp {
		ok := true
		for i, s := range list {
			if _, err := regexp.Compile(s); err != nil {
				errs = append(errs, ref.wrap(fmt.Sprintf("%s[%d]", field, i), err))
				ok = false
			}
		}
		if !ok || len(list) == 0 {
			return nil
		}
		re, err := regexp.Compile(strings.Join(list, "|"))
		if err != nil {
			errs = append(errs, ref.wrap(field, err))
			return nil
		}
		return re
	}
	b.branchesRe = compile("branches", b.Branches)
	b.skipBranchesRe = compile("skip_branches", b.SkipBranches)
	return errs
}

// compileChangeMatcher checks that at most one way of deciding to run is set and compiles
// the change regex.
func compileChangeMatcher(m *RegexpChangeMatcher, alwaysRun bool, ref jobRef) []error {
	switch {
	case alwaysRun && m.RunIfChanged != "":
		return []error{ref.errorf("run_if_changed", "always_run and run_if_changed are mutually exclusive")}
	case alwaysRun && m.SkipIfOnlyChanged != "":
		return []error{ref.errorf("skip_if_only_changed", "always_run and skip_if_only_changed are mutually exclusive")}
	case m.RunIfChanged != "" && m.SkipIfOnlyChanged != "":
		return []error{ref.errorf("skip_if_only_changed", "run_if_changed and skip_if_only_changed are mutually exclusive")}
	}
	field, expr := "run_if_changed", m.RunIfChanged
	if m.SkipIfOnlyChanged != "" {
		field, expr = "skip_if_only_changed", m.SkipIfOnlyChanged
	}
	if expr == "" {
		return nil
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return []error{ref.wrap(field, err)}
	}
	m.changesRe = re
	return nil
}

// compileTrigger compiles a presubmit's trigger and checks that its rerun command, which
// bosun shows users, would in fact trigger it.
func compileTrigger(p *Presubmit, ref jobRef) []error {
	switch {
	case p.Trigger == "" && p.RerunCommand != "":
		return []error{ref.errorf("trigger", "required when rerun_command is set (set both or neither)")}
	case p.Trigger != "" && p.RerunCommand == "":
		return []error{ref.errorf("rerun_command", "required when trigger is set (set both or neither)")}
	case p.Trigger == "":
		return nil // no name, reported already; nothing to compile
	}
	re, err := regexp.Compile(p.Trigger)
	if err != nil {
		return []error{ref.wrap("trigger", err)}
	}
	p.triggerRe = re
	if !re.MatchString(p.RerunCommand) {
		return []error{ref.errorf("rerun_command", "%q does not match trigger %q", p.RerunCommand, p.Trigger)}
	}
	return nil
}

// conflicts reports a job that clashes with an earlier one of the same repository on some
// branch: the same name (the ProwJob name would be ambiguous) or the same status context
// (the two jobs would overwrite each other's status). As in Prow, jobs on disjoint branches
// may share both.
func conflicts(ref jobRef, statusContext string, b Brancher, other JobBase, otherContext string, otherB Brancher) []error {
	if !b.Intersects(otherB) {
		return nil
	}
	switch {
	case ref.name != "" && ref.name == other.Name:
		return []error{ref.errorf("name", "duplicate of the %s defined at %s", ref.kind, other.pos)}
	case statusContext != "" && statusContext == otherContext:
		return []error{ref.errorf("context", "%q is also reported by %s %q at %s", statusContext, ref.kind, other.Name, other.pos)}
	}
	return nil
}

// sortedKeys returns a map's keys in order, for stable error output.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
