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

	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/plugins"
	// The plugins the hook has, so plugins.yaml is checked against the same list.
	_ "github.com/bosun-ci/bosun/pkg/plugins/all"
)

// options are checkconfig's flags (docs/flags.md lists them).
type options struct {
	configPath, jobConfigPath, pluginConfigPath string
	strict                                      bool
}

// addFlags registers the flags on fs.
func (o *options) addFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.configPath, "config-path", "", "path to config.yaml (required)")
	fs.StringVar(&o.jobConfigPath, "job-config-path", "", "path to a job config file or a directory of them (optional)")
	fs.StringVar(&o.pluginConfigPath, "plugin-config", "", "path to plugins.yaml, checked against the plugins the hook has (optional)")
	fs.BoolVar(&o.strict, "strict", false, "fail (exit 1) on warnings too: Prow sections, keys and jobs bosun ignores, pull request text substituted into a script")
}

// usage is printed before the flags by -h and on a usage error.
const usage = `Usage: checkconfig --config-path FILE [--job-config-path FILE_OR_DIR] [--plugin-config FILE] [--strict]

Validates config.yaml, the job config and plugins.yaml as bosun loads them, and prints every
error and warning (Prow sections, keys and plugins bosun ignores, jobs left to Prow, unsafe
scripts).

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
	if failed {
		return 1
	}
	if o.strict && warned > 0 {
		fmt.Fprintf(stderr, "checkconfig: %d warning(s), and --strict makes them fail\n", warned)
		return 1
	}
	pre, post, periodic := cfg.JobCounts()
	fmt.Fprintf(stdout, "config OK: %d presubmits, %d postsubmits, %d periodics\n", pre, post, periodic)
	return 0
}
