// Command checkconfig validates bosun's config and job config, as bosun itself would load
// them, and prints every problem it finds.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/bosun-ci/bosun/pkg/config"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code, so that tests can call it.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("checkconfig", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config-path", "", "path to config.yaml (required)")
	jobConfigPath := fs.String("job-config-path", "", "path to a job config file or a directory of them (optional)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *configPath == "" {
		fmt.Fprintln(stderr, "checkconfig: --config-path is required")
		fs.Usage()
		return 2
	}
	cfg, err := config.Load(*configPath, *jobConfigPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	pre, post, periodic := cfg.JobCounts()
	fmt.Fprintf(stdout, "config OK: %d presubmits, %d postsubmits, %d periodics\n", pre, post, periodic)
	return 0
}
