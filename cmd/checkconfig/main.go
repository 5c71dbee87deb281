// Command checkconfig validates bosun's config and job config, as bosun itself would load
// them, and prints every problem it finds. It also prints warnings about what bosun runs
// but should not, such as a pull request's title substituted into a script; they fail the
// check only with --strict.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/bosun-ci/bosun/pkg/config"
)

// options are checkconfig's flags (docs/flags.md lists them).
type options struct {
	configPath, jobConfigPath string
	strict                    bool
}

// addFlags registers the flags on fs.
func (o *options) addFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.configPath, "config-path", "", "path to config.yaml (required)")
	fs.StringVar(&o.jobConfigPath, "job-config-path", "", "path to a job config file or a directory of them (optional)")
	fs.BoolVar(&o.strict, "strict", false, "fail (exit 1) on warnings too, such as pull request text substituted into a script")
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code, so that tests can call it.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("checkconfig", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	o.addFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.configPath == "" {
		fmt.Fprintln(stderr, "checkconfig: --config-path is required")
		fs.Usage()
		return 2
	}
	cfg, err := config.Load(o.configPath, o.jobConfigPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	warnings := cfg.Warnings()
	for _, w := range warnings {
		fmt.Fprintln(stderr, "warning: "+w)
	}
	if o.strict && len(warnings) > 0 {
		fmt.Fprintf(stderr, "checkconfig: %d warning(s), and --strict makes them fail\n", len(warnings))
		return 1
	}
	pre, post, periodic := cfg.JobCounts()
	fmt.Fprintf(stdout, "config OK: %d presubmits, %d postsubmits, %d periodics\n", pre, post, periodic)
	return 0
}
