// Package config loads, defaults and validates bosun's configuration: the main config file
// (namespaces) and Prow-style job config (presubmits, postsubmits and periodics), which may
// sit inline in the main file or in a tree of job files.
//
// Loading always runs parse, then default, then validate, and collects every problem it finds
// so that one checkconfig run reports them all. A Prow config.yaml and Prow job files load
// unchanged (check.go, prowkeys.go): keys are checked against bosun's types and a table of
// Prow's keys, so that a key Prow defines and bosun ignores (deck, tide, sinker.max_pod_age,
// decorate...) is a warning, and a key nobody defines is an error naming the file, the line,
// the key path and the known key it is closest to. A value of the wrong type (a bad duration,
// say) is an error too, and neither hides the others. Jobs for other agents (kubernetes,
// jenkins; a job with neither agent nor pipeline run spec is kubernetes, as in Prow) are
// left out of bosun's job lists and named in a warning, so that bosun and Prow can serve
// one config side by side. Duplicated keys and bad YAML fail the file. LoadWithWarnings and
// Config.WarningList return the warnings (warnings.go), with what loads but is unsafe to
// run, such as a pull request's title substituted into a script (scriptinjection.go);
// checkconfig prints them.
package config
