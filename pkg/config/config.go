package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
)

// Defaults for the main config.
const (
	DefaultProwJobNamespace = "default"
	DefaultPodNamespace     = "test-pods"
	// DefaultCluster is the build cluster alias Prow gives jobs that name none.
	DefaultCluster = "default"
)

// Config is bosun's whole configuration: the main config file plus every job file.
type Config struct {
	// JobConfig holds the jobs defined inline in the main file merged with those from the
	// job config path.
	JobConfig `json:",inline"`

	// ProwJobNamespace is where ProwJobs live.
	ProwJobNamespace string `json:"prowjob_namespace,omitempty"`
	// PodNamespace is where PipelineRuns are created for jobs that set no namespace.
	PodNamespace string `json:"pod_namespace,omitempty"`
	// Sinker configures garbage collection of finished ProwJobs and PipelineRuns (sinker.go).
	Sinker Sinker `json:"sinker,omitempty"`
	// Tekton configures the PipelineRuns the controller creates (tekton.go).
	Tekton Tekton `json:"tekton,omitempty"`
	// Resync configures the hook's periodic check of open pull requests for missed
	// webhooks (resync.go).
	Resync Resync `json:"resync,omitempty"`
	// InRepoConfig says for which repositories jobs are also read from the repository's
	// own .prow.yaml, .prow/ and .lighthouse/ files (inrepo.go).
	InRepoConfig InRepoConfig `json:"in_repo_config,omitempty"`

	// file is the main config file, named in errors about its own fields.
	file string
	// root is the main file's YAML tree, for the lines of its keys.
	root *yamlv3.Node
	// loadWarnings and leftToProw are what loading found (warnings.go).
	loadWarnings []Warning
	leftToProw   []SkippedJob
}

// Getter returns the current config. Long-lived components hold a Getter instead of a
// *Config so that the config can be reloaded under them.
type Getter func() *Config

// Load reads the main config file and, if jobConfigPath is not empty, the job config found
// there: one file, or every *.yaml and *.yml file under a directory. It defaults and
// validates the result and returns every problem found, joined. See LoadWithWarnings.
func Load(configPath, jobConfigPath string) (*Config, error) {
	c, _, err := LoadWithWarnings(configPath, jobConfigPath)
	return c, err
}

// LoadWithWarnings is Load that also returns the warnings, even when the config is invalid
// (then the config is nil): what Prow defines and bosun ignores, grouped by section, the
// jobs left to Prow, and, for a valid config, script injections. A valid config's
// WarningList returns the same.
//
// Bosun reads Prow's config.yaml and job files unchanged. Jobs whose agent is kubernetes
// (Prow's default for a job with neither agent nor pipeline run spec) or jenkins are left
// out of the config's job lists and named in a LeftToProw warning; a job with agent
// tekton-pipeline, or with no agent and a pipeline_run_spec or tekton_pipeline_run_spec,
// is bosun's. A key that Prow defines and bosun does not use is a warning; a key nobody
// defines is an error with its line and the known key it is closest to, if any.
func LoadWithWarnings(configPath, jobConfigPath string) (*Config, []Warning, error) {
	var errs []error
	st := &loadState{}
	c := &Config{file: configPath}
	data, err := os.ReadFile(configPath)
	if err != nil {
		errs = append(errs, fmt.Errorf("read config: %w", err))
	} else if parsed, err := parseConfig(configPath, data, st); parsed == nil {
		errs = append(errs, err)
	} else {
		c = parsed
		if err != nil {
			errs = append(errs, err)
		}
	}
	if jobConfigPath != "" {
		if err := loadJobConfig(jobConfigPath, &c.JobConfig, st); err != nil {
			errs = append(errs, err)
		}
	}
	return finishLoad(c, st, errs)
}

// LoadBytes parses, defaults and validates one main config file given as bytes; name is
// used in errors. It serves tests and callers that hold the config in memory.
func LoadBytes(name string, data []byte) (*Config, error) {
	st := &loadState{}
	c, err := parseConfig(name, data, st)
	if c == nil {
		return nil, err
	}
	c, _, err = finishLoad(c, st, []error{err})
	return c, err
}

// finishLoad defaults and validates a parsed config and attaches the load's warnings.
func finishLoad(c *Config, st *loadState, errs []error) (*Config, []Warning, error) {
	c.setDefaults()
	if err := c.validate(); err != nil {
		errs = append(errs, err)
	}
	c.loadWarnings = st.finish(&c.JobConfig)
	c.leftToProw = st.skipped
	dropNodes(&c.JobConfig)
	if err := errors.Join(errs...); err != nil {
		return nil, c.loadWarnings, err
	}
	return c, c.WarningList(), nil
}

// parseConfig decodes a main config file, inline jobs included. Like decodeFile, it may
// return a config along with errors about unknown keys and bad values; a nil config means
// it could not decode at all.
func parseConfig(file string, data []byte, st *loadState) (*Config, error) {
	c := &Config{}
	idx, checkErr, err := decodeFile(file, data, c, st)
	if err != nil {
		return nil, err
	}
	c.file, c.root = file, idx.root
	c.Tekton.locate(idx)
	c.Resync.locate(idx)
	return c, checkErr
}

// loadJobConfig reads the job file or directory at path and merges its jobs into dst. A file
// that fails to decode adds no jobs; one with unknown keys or bad values adds its jobs and
// reports them. All errors are returned, joined.
func loadJobConfig(path string, dst *JobConfig, st *loadState) error {
	files, err := JobFiles(path)
	if err != nil {
		return fmt.Errorf("find job config: %w", err)
	}
	var errs []error
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			errs = append(errs, fmt.Errorf("read job config: %w", err))
			continue
		}
		var jc JobConfig
		_, checkErr, err := decodeFile(file, data, &jc, st)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if checkErr != nil {
			errs = append(errs, checkErr)
		}
		mergeJobConfig(dst, &jc)
	}
	return errors.Join(errs...)
}

// JobFiles lists the job files at path, as Load reads them, in lexical order, so that merging and error order do
// not depend on the file system. Files left out by a .prowignore file, as Prow reads them
// (prowignore.go), are skipped. Entries whose names start with "." are skipped: that keeps
// out .git and .github in a checked-out repository and the "..data" and "..<timestamp>"
// entries of a mounted ConfigMap, which hold a second copy of every file. Symbolic links to
// files are read through, since a mounted ConfigMap's files are all links.
func JobFiles(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	var files []string
	ignores := prowIgnores{}
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != path && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if p != path && ignores.ignored(path, p, d.IsDir()) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			rules, err := readProwIgnore(p)
			if err != nil {
				return err
			}
			ignores[p] = rules
			return nil
		}
		if ext := filepath.Ext(p); ext != ".yaml" && ext != ".yml" {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := os.Stat(p)
			if err != nil {
				return err
			}
			if target.IsDir() {
				return nil
			}
		}
		files = append(files, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return files, nil
}

// setPositions records in each job of a freshly decoded file where it was defined.
func setPositions(jc *JobConfig, idx *fileIndex) {
	for repo, jobs := range jc.Presubmits {
		for i := range jobs {
			jobs[i].pos = idx.position(jobKey{kind: presubmitKind, repo: repo, index: i})
		}
	}
	for repo, jobs := range jc.Postsubmits {
		for i := range jobs {
			jobs[i].pos = idx.position(jobKey{kind: postsubmitKind, repo: repo, index: i})
		}
	}
	for i := range jc.Periodics {
		jc.Periodics[i].pos = idx.position(jobKey{kind: periodicKind, index: i})
	}
}

// dropNodes forgets the YAML trees the jobs' positions point into, which only validation
// reads, so that a loaded config does not keep its files' parse trees alive.
func dropNodes(jc *JobConfig) {
	for _, jobs := range jc.Presubmits {
		for i := range jobs {
			jobs[i].pos.node = nil
		}
	}
	for _, jobs := range jc.Postsubmits {
		for i := range jobs {
			jobs[i].pos.node = nil
		}
	}
	for i := range jc.Periodics {
		jc.Periodics[i].pos.node = nil
	}
}

// mergeJobConfig appends src's jobs to dst's. Duplicates are left for validation, which
// can then name both files.
func mergeJobConfig(dst, src *JobConfig) {
	for repo, jobs := range src.Presubmits {
		if dst.Presubmits == nil {
			dst.Presubmits = map[string][]Presubmit{}
		}
		dst.Presubmits[repo] = append(dst.Presubmits[repo], jobs...)
	}
	for repo, jobs := range src.Postsubmits {
		if dst.Postsubmits == nil {
			dst.Postsubmits = map[string][]Postsubmit{}
		}
		dst.Postsubmits[repo] = append(dst.Postsubmits[repo], jobs...)
	}
	dst.Periodics = append(dst.Periodics, src.Periodics...)
}
