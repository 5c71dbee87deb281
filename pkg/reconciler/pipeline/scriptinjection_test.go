package pipeline

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"knative.dev/pkg/logging"
	sigsyaml "sigs.k8s.io/yaml"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
)

const injectionWarning = "Job's pipeline substitutes text the pull request's author controls into a script"

// unsafeRunSpec runs the pull request's title as part of a script.
const unsafeRunSpec = `
pipelineSpec:
  tasks:
  - name: build
    taskSpec:
      steps:
      - name: compile
        image: golang
        script: echo "$(params.PULL_TITLE)"
`

// safeRunSpec reads the title from an env var.
const safeRunSpec = `
pipelineSpec:
  tasks:
  - name: build
    taskSpec:
      steps:
      - name: compile
        image: golang
        env: [{name: PULL_TITLE, value: $(params.PULL_TITLE)}]
        script: echo "$PULL_TITLE"
`

// withRunSpec gives the job an inline run spec, and a name and job name of its own.
func withRunSpec(t *testing.T, name, job, spec string) jobOption {
	t.Helper()
	var rs pipelinev1.PipelineRunSpec
	if err := sigsyaml.UnmarshalStrict([]byte(spec), &rs); err != nil {
		t.Fatalf("Parsing the run spec: %v", err)
	}
	return func(pj *prowjobsv1.ProwJob) {
		pj.Name = name
		pj.Spec.Job = job
		pj.Spec.PipelineRunSpec = &rs
	}
}

func TestReconcileKindWarnsOfScriptInjectionOncePerJob(t *testing.T) {
	wantFinding := `task build step compile: script uses $(params.PULL_TITLE), which the pull request's author controls; ` +
		`pass it as an env var (env: [{name: PULL_TITLE, value: $(params.PULL_TITLE)}]) and use "$PULL_TITLE" (quoted) in the script`
	type warning struct {
		Job, Repo string
		Findings  []string
	}
	tests := []struct {
		name string
		jobs []*prowjobsv1.ProwJob
		want []warning
	}{{
		name: "two runs of the same job warn once",
		jobs: []*prowjobsv1.ProwJob{
			makeJob(t, withRunSpec(t, "run-1", "unit", unsafeRunSpec)),
			makeJob(t, withRunSpec(t, "run-2", "unit", unsafeRunSpec)),
		},
		want: []warning{{Job: "unit", Repo: "acme/widgets", Findings: []string{wantFinding}}},
	}, {
		name: "two jobs warn once each",
		jobs: []*prowjobsv1.ProwJob{
			makeJob(t, withRunSpec(t, "run-1", "unit", unsafeRunSpec)),
			makeJob(t, withRunSpec(t, "run-2", "lint", unsafeRunSpec)),
			makeJob(t, withRunSpec(t, "run-3", "unit", unsafeRunSpec)),
		},
		want: []warning{
			{Job: "unit", Repo: "acme/widgets", Findings: []string{wantFinding}},
			{Job: "lint", Repo: "acme/widgets", Findings: []string{wantFinding}},
		},
	}, {
		name: "jobs of the same name in two repositories warn once each",
		jobs: []*prowjobsv1.ProwJob{
			makeJob(t, withRunSpec(t, "run-1", "unit", unsafeRunSpec)),
			makeJob(t, withRunSpec(t, "run-2", "unit", unsafeRunSpec), func(pj *prowjobsv1.ProwJob) { pj.Spec.Refs.Repo = "gadgets" }),
		},
		want: []warning{
			{Job: "unit", Repo: "acme/widgets", Findings: []string{wantFinding}},
			{Job: "unit", Repo: "acme/gadgets", Findings: []string{wantFinding}},
		},
	}, {
		name: "a job whose script reads the title from the environment",
		jobs: []*prowjobsv1.ProwJob{makeJob(t, withRunSpec(t, "run-1", "unit", safeRunSpec))},
	}, {
		name: "a postsubmit has no pull request title",
		jobs: []*prowjobsv1.ProwJob{makeJob(t, withRunSpec(t, "run-1", "unit", unsafeRunSpec), func(pj *prowjobsv1.ProwJob) {
			pj.Spec.Type = prowjobsv1.PostsubmitJob
			pj.Spec.Refs.Pulls = nil
		})},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			core, logs := observer.New(zapcore.WarnLevel)
			ctx := logging.WithLogger(t.Context(), zap.New(core).Sugar())
			r := newReconciler(t, nil, nil)
			for _, pj := range tc.jobs {
				if err := r.ReconcileKind(ctx, pj); err != nil {
					t.Fatalf("ReconcileKind(%s) = %v", pj.Name, err)
				}
				if pj.Status.State != prowjobsv1.PendingState {
					t.Fatalf("Job %s is %s, want its run created and the job pending: %s", pj.Name, pj.Status.State, pj.Status.Description)
				}
			}
			var got []warning
			for _, e := range logs.FilterMessage(injectionWarning).All() {
				fields := e.ContextMap()
				w := warning{Job: fields["job"].(string), Repo: fields["repo"].(string)}
				for _, f := range fields["findings"].([]interface{}) {
					w.Findings = append(w.Findings, f.(string))
				}
				got = append(got, w)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Warnings logged (-want, +got):\n%s", diff)
			}
		})
	}
}

func TestCheckedJobsIsBounded(t *testing.T) {
	c := checkedJobs{limit: 2}
	steps := []struct {
		key  string
		want bool
	}{
		{"a", true},
		{"a", false},
		{"b", true},
		{"c", true}, // evicts a, the oldest
		{"b", false},
		{"c", false},
		{"a", true}, // forgotten, so checked again; evicts b
		{"b", true},
	}
	for i, s := range steps {
		if got := c.firstTime(s.key); got != s.want {
			t.Errorf("step %d: firstTime(%q) = %t, want %t", i, s.key, got, s.want)
		}
	}
	if len(c.seen) > 2 || len(c.order) > 2 {
		t.Errorf("checkedJobs holds %d keys (%d in order), want at most 2", len(c.seen), len(c.order))
	}
}
