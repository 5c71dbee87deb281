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
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"sigs.k8s.io/yaml"

	"github.com/bosun-ci/bosun/tekton"
)

// TestTektonTaskRunsCheckconfig runs checkconfig with the arguments the shipped
// bosun-checkconfig Task gives it, params substituted as Tekton does, in a workspace holding a
// config repository: a good config passes, a broken one fails, and strict fails on warnings.
func TestTektonTaskRunsCheckconfig(t *testing.T) {
	var task pipelinev1.Task
	if err := yaml.UnmarshalStrict(tekton.CheckconfigTask, &task); err != nil {
		t.Fatal(err)
	}
	step := task.Spec.Steps[0]
	if step.Command[0] != "/ko-app/checkconfig" {
		t.Errorf("the step runs %s, not the checkconfig image's binary", step.Command[0])
	}
	argsFor := func(params map[string]string) []string {
		values := map[string]string{}
		for _, p := range task.Spec.Params {
			if p.Default != nil {
				values[p.Name] = p.Default.StringVal
			}
		}
		for k, v := range params {
			values[k] = v
		}
		var args []string
		for _, a := range step.Args {
			for name, v := range values {
				a = strings.ReplaceAll(a, "$(params."+name+")", v)
			}
			if strings.Contains(a, "$(") {
				t.Fatalf("arg %q names a param the Task does not declare", a)
			}
			args = append(args, a)
		}
		return args
	}

	workspace := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		path := filepath.Join(workspace, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("prow/config.yaml", "prowjob_namespace: prow\n")
	write("prow/jobs/unit.yaml", "presubmits:\n  acme/widgets:\n  - name: unit\n    always_run: true\n    pipeline_run_spec:\n      pipelineRef: {name: unit}\n")
	t.Chdir(workspace) // the step's workingDir

	good := map[string]string{"config-path": "prow/config.yaml", "job-config-path": "prow/jobs"}
	if code := run(argsFor(good), io.Discard, io.Discard); code != 0 {
		t.Errorf("a valid config repository: exit %d, want 0", code)
	}
	if code := run(argsFor(map[string]string{"config-path": "prow/config.yaml"}), io.Discard, io.Discard); code != 0 {
		t.Errorf("the default (no job config): exit %d, want 0", code)
	}

	// plugins.yaml: Prow's shape loads; a plugin bosun lacks is a warning, a typo an error.
	write("prow/plugins.yaml", "plugins:\n  acme:\n    plugins: [trigger, lgtm, blunderbuss]\n")
	withPlugins := map[string]string{"config-path": "prow/config.yaml", "job-config-path": "prow/jobs", "plugin-config": "prow/plugins.yaml"}
	var out strings.Builder
	if code := run(argsFor(withPlugins), io.Discard, &out); code != 0 || !strings.Contains(out.String(), "blunderbuss") {
		t.Errorf("plugins.yaml with a Prow plugin bosun lacks: exit %d, stderr %q; want 0 and a warning naming it", code, out.String())
	}
	withPlugins["strict"] = "true"
	if code := run(argsFor(withPlugins), io.Discard, io.Discard); code != 1 {
		t.Errorf("plugins.yaml warnings with strict=true: exit %d, want 1", code)
	}
	write("prow/plugins.yaml", "plugins:\n  acme: [trigger]\nlgtm:\n- repos: [acme]\n  review_acts_as_lgtn: true\n")
	out.Reset()
	delete(withPlugins, "strict")
	if code := run(argsFor(withPlugins), io.Discard, &out); code != 1 || !strings.Contains(out.String(), "plugins.yaml") {
		t.Errorf("a misspelled plugins.yaml key: exit %d, stderr %q; want 1 naming the file", code, out.String())
	}

	write("prow/jobs/broken.yaml", "presubmits:\n  acme/widgets:\n  - name: lint\n    always_rn: true\n")
	var stderr strings.Builder
	if code := run(argsFor(good), io.Discard, &stderr); code != 1 || !strings.Contains(stderr.String(), "broken.yaml") {
		t.Errorf("a broken job file: exit %d, stderr %q; want 1 naming the file", code, stderr.String())
	}
	if err := os.Remove(filepath.Join(workspace, "prow/jobs/broken.yaml")); err != nil {
		t.Fatal(err)
	}

	// A script with pull request text substituted into it is a warning; strict fails on it.
	write("prow/jobs/unit.yaml", "presubmits:\n  acme/widgets:\n  - name: unit\n    always_run: true\n    pipeline_run_spec:\n      pipelineSpec:\n        tasks:\n        - name: t\n          taskSpec:\n            steps:\n            - name: s\n              image: busybox\n              script: echo $(params.PULL_TITLE)\n")
	if code := run(argsFor(good), io.Discard, io.Discard); code != 0 {
		t.Errorf("warnings without strict: exit %d, want 0", code)
	}
	strict := map[string]string{"config-path": "prow/config.yaml", "job-config-path": "prow/jobs", "strict": "true"}
	if code := run(argsFor(strict), io.Discard, io.Discard); code != 1 {
		t.Errorf("warnings with strict=true: exit %d, want 1", code)
	}
}
