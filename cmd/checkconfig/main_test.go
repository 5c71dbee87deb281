package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("periodics:\n- name: nightly\n  agent: tekton-pipeline\n  cron: nope\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A presubmit whose script runs the pull request's title: bosun runs it, with a warning.
	unsafe := filepath.Join(dir, "unsafe.yaml")
	unsafeJob := `presubmits:
  acme/widgets:
  - name: unit
    pipeline_run_spec:
      pipelineSpec:
        tasks:
        - name: build
          taskSpec:
            steps:
            - name: compile
              image: golang
              script: echo "$(params.PULL_TITLE)"
`
	if err := os.WriteFile(unsafe, []byte(unsafeJob), 0o644); err != nil {
		t.Fatal(err)
	}
	unsafeWarning := "warning: " + unsafe + `:4: presubmit "unit" (acme/widgets): pipeline_run_spec: task build step compile: ` +
		`script uses $(params.PULL_TITLE), which the pull request's author controls; pass it as an env var`
	typo := filepath.Join(dir, "typo.yaml")
	if err := os.WriteFile(typo, []byte("deck: {}\npresubmits:\n  acme/widgets:\n  - always_rn: true\n    name: unit\n    pipeline_run_spec: {pipelineRef: {name: p}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A job carried over from Tekton v1beta1, with a pipeline Tekton would reject.
	migrated := filepath.Join(dir, "migrated.yaml")
	migratedJob := `presubmits:
  acme/widgets:
  - name: unit
    pipeline_run_spec:
      serviceAccountName: builder
      pipelineSpec:
        tasks:
        - name: test
          runAfter: [clone]
          taskRef: {name: go-test}
`
	if err := os.WriteFile(migrated, []byte(migratedJob), 0o644); err != nil {
		t.Fatal(err)
	}
	inRepoCentral := filepath.Join(dir, "inrepo-config.yaml")
	if err := os.WriteFile(inRepoCentral, []byte("in_repo_config:\n  enabled:\n    krestomatio: true\n    acme: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	badProwYAML := filepath.Join(dir, ".prow.yaml")
	if err := os.WriteFile(badProwYAML, []byte("presubmits:\n- name: unit\n  alwys_run: true\n  pipeline_run_spec: {pipelineRef: {name: p}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr []string
	}{{
		name:       "valid config",
		args:       []string{"--config-path", "../../pkg/config/testdata/prow/config.yaml", "--job-config-path", "../../pkg/config/testdata/prow/jobs"},
		wantCode:   0,
		wantStdout: "config OK: 4 presubmits, 2 postsubmits, 2 periodics\n",
	}, {
		name:       "invalid config",
		args:       []string{"--config-path", bad},
		wantCode:   1,
		wantStderr: []string{bad + `:4: periodic "nightly": cron: `, bad + `:2: periodic "nightly": pipeline_run_spec: `},
	}, {
		name:     "Tekton v1beta1 fields and Tekton's own validation",
		args:     []string{"--config-path", migrated},
		wantCode: 1,
		wantStderr: []string{
			migrated + ":5: presubmits.acme/widgets[0].pipeline_run_spec.serviceAccountName: a Tekton v1beta1 field: in v1 it is taskRunTemplate.serviceAccountName\n",
			migrated + `:7: presubmit "unit" (acme/widgets): pipeline_run_spec.pipelineSpec.tasks: invalid value: couldn't add link between test and clone: ` +
				"task test depends on clone but clone wasn't present in Pipeline\n",
		},
	}, {
		name:       "script injection is a warning",
		args:       []string{"--config-path", unsafe},
		wantCode:   0,
		wantStdout: "config OK: 1 presubmits, 0 postsubmits, 0 periodics\n",
		wantStderr: []string{unsafeWarning},
	}, {
		name:       "script injection fails with --strict",
		args:       []string{"--strict", "--config-path", unsafe},
		wantCode:   1,
		wantStderr: []string{unsafeWarning, "checkconfig: 1 warning(s), and --strict makes them fail"},
	}, {
		name:       "--strict passes a config without warnings",
		args:       []string{"--strict", "--config-path", "../../pkg/config/testdata/prow/config.yaml", "--job-config-path", "../../pkg/config/testdata/prow/jobs"},
		wantCode:   0,
		wantStdout: "config OK: 4 presubmits, 2 postsubmits, 2 periodics\n",
	}, {
		// Prow's config loads with warnings: what bosun ignores, and the jobs left to Prow.
		name:       "Prow's config: warnings only",
		args:       []string{"--config-path", "../../pkg/config/testdata/real/knative/config.yaml", "--job-config-path", "../../pkg/config/testdata/real/knative/jobs"},
		wantCode:   0,
		wantStdout: "config OK: 0 presubmits, 0 postsubmits, 0 periodics\n",
		wantStderr: []string{
			"warning: ../../pkg/config/testdata/real/knative/config.yaml: not used by bosun (Prow's, ignored): branch-protection, deck, log_level, plank, slack_reporter_configs, tide\n",
			"warning: ../../pkg/config/testdata/real/knative/config.yaml:174: sinker.max_pod_age: not used by bosun (Prow's, ignored)\n",
			"warning: left to Prow: 6 kubernetes job(s): post-knative-infra-image-push, ",
		},
	}, {
		name:       "Prow's config fails with --strict",
		args:       []string{"--strict", "--config-path", "../../pkg/config/testdata/real/knative/config.yaml", "--job-config-path", "../../pkg/config/testdata/real/knative/jobs"},
		wantCode:   1,
		wantStderr: []string{"warning: left to Prow: 6 kubernetes job(s): ", "checkconfig: 4 warning(s), and --strict makes them fail"},
	}, {
		// Errors and warnings are both printed.
		name:       "errors and warnings",
		args:       []string{"--config-path", typo},
		wantCode:   1,
		wantStderr: []string{"warning: " + typo + ": not used by bosun (Prow's, ignored): deck\n", typo + `:4: unknown field "presubmits.acme/widgets[0].always_rn" (did you mean "always_run"?)`},
	}, {
		name:       "in-repo config: a real .lighthouse/",
		args:       []string{"--config-path", inRepoCentral, "--prow-yaml-repo-name", "krestomatio/container_builder", "--prow-yaml-path", "../../pkg/config/testdata/inrepo/krestomatio-container_builder"},
		wantCode:   0,
		wantStdout: "config OK: 0 presubmits, 0 postsubmits, 0 periodics\nin-repo config of krestomatio/container_builder OK: 1 presubmits, 1 postsubmits\n",
		wantStderr: []string{"warning: ../../pkg/config/testdata/inrepo/krestomatio-container_builder/.lighthouse/jenkins-x/release.yaml:12: unknown field "},
	}, {
		name:       "in-repo config: a .prow.yaml given by its path, with errors",
		args:       []string{"--config-path", inRepoCentral, "--prow-yaml-repo-name", "acme/widgets", "--prow-yaml-path", badProwYAML},
		wantCode:   1,
		wantStderr: []string{"in-repo config of acme/widgets in " + dir + ":\n.prow.yaml:3: unknown field \"presubmits[0].alwys_run\" (did you mean \"always_run\"?)"},
	}, {
		name:       "in-repo config not enabled is a warning",
		args:       []string{"--strict", "--config-path", inRepoCentral, "--prow-yaml-repo-name", "other/repo", "--prow-yaml-path", "../../pkg/config/testdata/inrepo/kcp-dev-logicalcluster"},
		wantCode:   1,
		wantStderr: []string{"warning: in_repo_config.enabled does not enable other/repo", "warning: left to Prow: 1 kubernetes job(s): pull-logicalcluster-lint", "checkconfig: 2 warning(s)"},
	}, {
		name:       "--prow-yaml-path needs --prow-yaml-repo-name",
		args:       []string{"--config-path", inRepoCentral, "--prow-yaml-path", dir},
		wantCode:   2,
		wantStderr: []string{"--prow-yaml-path needs --prow-yaml-repo-name"},
	}, {
		name:       "--prow-yaml-repo-name is org/repo",
		args:       []string{"--config-path", inRepoCentral, "--prow-yaml-repo-name", "widgets"},
		wantCode:   2,
		wantStderr: []string{`--prow-yaml-repo-name "widgets": want org/repo`},
	}, {
		name:       "-h documents the exit codes",
		args:       []string{"-h"},
		wantCode:   0,
		wantStderr: []string{"Exit codes:\n  0  the config is valid", "  1  the config has errors", "  2  the command line is wrong", "-strict"},
	}, {
		name:       "missing --config-path",
		args:       nil,
		wantCode:   2,
		wantStderr: []string{"--config-path is required"},
	}, {
		name:       "unknown flag",
		args:       []string{"--nope"},
		wantCode:   2,
		wantStderr: []string{"flag provided but not defined: -nope"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(tc.args, &stdout, &stderr); code != tc.wantCode {
				t.Errorf("run() = %d, want %d; stderr:\n%s", code, tc.wantCode, stderr.String())
			}
			if stdout.String() != tc.wantStdout {
				t.Errorf("stdout = %q, want %q", stdout.String(), tc.wantStdout)
			}
			for _, w := range tc.wantStderr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr does not contain %q:\n%s", w, stderr.String())
				}
			}
		})
	}
}
