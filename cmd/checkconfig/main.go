// Command checkconfig validates bosun's config and job config, as bosun itself would load
// them, and prints every problem it finds. It also prints warnings: what a Prow config
// holds that bosun ignores (sections such as deck and tide, keys such as sinker.max_pod_age
// or decorate on tekton-pipeline jobs, presets), the jobs it leaves to Prow (other agents),
// and what bosun runs but should not, such as a pull request's title substituted into a
// script. Warnings fail the check only with --strict.
//
// Exit codes: 0 the config is valid (warnings are printed but do not count); 1 the config
// has errors, or warnings and --strict was given; 2 the command line is wrong.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/plugins"
	// The plugins the hook has, so plugins.yaml is checked against the same list.
	_ "github.com/bosun-ci/bosun/pkg/plugins/all"
)

// options are checkconfig's flags (docs/flags.md lists them).
type options struct {
	configPath, jobConfigPath, pluginConfigPath string
	// prowYAMLRepoName ("org/repo") and prowYAMLPath (a checkout, or its .prow.yaml) name
	// a repository's in-repo config to check, as Prow's checkconfig flags of the same names.
	prowYAMLRepoName, prowYAMLPath string
	strict                         bool
}

// addFlags registers the flags on fs.
func (o *options) addFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.configPath, "config-path", "", "path to config.yaml (required)")
	fs.StringVar(&o.jobConfigPath, "job-config-path", "", "path to a job config file or a directory of them (optional)")
	fs.StringVar(&o.pluginConfigPath, "plugin-config", "", "path to plugins.yaml, checked against the plugins the hook has (optional)")
	fs.StringVar(&o.prowYAMLRepoName, "prow-yaml-repo-name", "", "org/repo whose in-repo config (.prow.yaml or .prow/, and .lighthouse/) to check against the config (optional)")
	fs.StringVar(&o.prowYAMLPath, "prow-yaml-path", "", "the repository checkout holding that in-repo config, or its .prow.yaml; needs --prow-yaml-repo-name (default: the current directory)")
	fs.BoolVar(&o.strict, "strict", false, "fail (exit 1) on warnings too: Prow sections, keys and jobs bosun ignores, pull request text substituted into a script")
}

// usage is printed before the flags by -h and on a usage error.
const usage = `Usage: checkconfig --config-path FILE [--job-config-path FILE_OR_DIR] [--plugin-config FILE]
                   [--prow-yaml-repo-name ORG/REPO [--prow-yaml-path DIR_OR_FILE]] [--strict]

Validates config.yaml, the job config and plugins.yaml as bosun loads them, and, with
--prow-yaml-repo-name, a repository's in-repo config (.prow.yaml or .prow/, .lighthouse/), and
prints every error and warning (Prow sections, keys and plugins bosun ignores, jobs left to
Prow, unsafe scripts).

Exit codes:
  0  the config is valid; warnings, if any, are printed but do not fail it
  1  the config has errors, or it has warnings and --strict was given
  2  the command line is wrong (an unknown flag, a missing --config-path)

Flags:
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code, so that tests can call it.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("checkconfig", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	o.addFlags(fs)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if o.configPath == "" {
		fmt.Fprintln(stderr, "checkconfig: --config-path is required")
		fs.Usage()
		return 2
	}
	org, repo, repoOK := strings.Cut(o.prowYAMLRepoName, "/")
	switch {
	case o.prowYAMLPath != "" && o.prowYAMLRepoName == "":
		fmt.Fprintln(stderr, "checkconfig: --prow-yaml-path needs --prow-yaml-repo-name")
		return 2
	case o.prowYAMLRepoName != "" && (!repoOK || org == "" || repo == "" || strings.Contains(repo, "/")):
		fmt.Fprintf(stderr, "checkconfig: --prow-yaml-repo-name %q: want org/repo\n", o.prowYAMLRepoName)
		return 2
	}
	cfg, warnings, err := config.LoadWithWarnings(o.configPath, o.jobConfigPath)
	for _, w := range warnings {
		fmt.Fprintln(stderr, "warning: "+w.String())
	}
	failed := err != nil
	if err != nil {
		fmt.Fprintln(stderr, err)
	}
	warned := len(warnings)
	if o.pluginConfigPath != "" {
		pluginCfg, err := plugins.LoadConfiguration(o.pluginConfigPath, plugins.Default)
		if err != nil {
			fmt.Fprintln(stderr, err)
			failed = true
		}
		for _, w := range pluginCfg.Warnings() {
			fmt.Fprintln(stderr, "warning: "+w)
			warned++
		}
	}
	var inRepo *config.InRepoJobs
	if o.prowYAMLRepoName != "" && cfg != nil {
		var inRepoWarnings []string
		inRepo, inRepoWarnings, err = checkInRepo(cfg, org, repo, o.prowYAMLPath)
		for _, w := range inRepoWarnings {
			fmt.Fprintln(stderr, "warning: "+w)
		}
		warned += len(inRepoWarnings)
		if err != nil {
			fmt.Fprintln(stderr, err)
			failed = true
		}
	}
	if failed {
		return 1
	}
	if o.strict && warned > 0 {
		fmt.Fprintf(stderr, "checkconfig: %d warning(s), and --strict makes them fail\n", warned)
		return 1
	}
	pre, post, periodic := cfg.JobCounts()
	fmt.Fprintf(stdout, "config OK: %d presubmits, %d postsubmits, %d periodics\n", pre, post, periodic)
	if inRepo != nil {
		fmt.Fprintf(stdout, "in-repo config of %s OK: %d presubmits, %d postsubmits\n", o.prowYAMLRepoName, len(inRepo.Presubmits), len(inRepo.Postsubmits))
	}
	return 0
}

// checkInRepo loads the in-repo config of org/repo from a checkout (dir, or the directory
// of the .prow.yaml it names; the current directory if empty) as the hook would at a
// commit, and returns the jobs, the warnings (with those of merging them into the central
// jobs) and the errors.
func checkInRepo(cfg *config.Config, org, repo, dir string) (*config.InRepoJobs, []string, error) {
	if dir == "" {
		dir = "."
	}
	if info, err := os.Stat(dir); err != nil {
		return nil, nil, fmt.Errorf("--prow-yaml-path: %w", err)
	} else if !info.IsDir() {
		dir = filepath.Dir(dir)
	}
	var warnings []string
	if !cfg.InRepoConfigEnabled(org, repo) {
		warnings = append(warnings, fmt.Sprintf("in_repo_config.enabled does not enable %s/%s: bosun does not read its in-repo config", org, repo))
	}
	jobs, err := cfg.LoadInRepo(org, repo, os.DirFS(dir))
	if jobs == nil {
		return nil, warnings, err
	}
	ws := jobs.Warnings
	if err == nil {
		_, pre := config.MergePresubmits(cfg.PresubmitsFor(org, repo), jobs.Presubmits)
		_, post := config.MergePostsubmits(cfg.PostsubmitsFor(org, repo), jobs.Postsubmits)
		ws = append(append(ws, pre...), post...)
	}
	for _, w := range ws {
		if w.File != "" {
			w.File = filepath.Join(dir, w.File)
		}
		warnings = append(warnings, w.String())
	}
	if err != nil {
		return nil, warnings, fmt.Errorf("in-repo config of %s/%s in %s:\n%w", org, repo, dir, err)
	}
	return jobs, warnings, nil
}
