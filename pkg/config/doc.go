// Package config loads, defaults and validates bosun's configuration: the main config file
// (namespaces) and Prow-style job config (presubmits, postsubmits and periodics), which may
// sit inline in the main file or in a tree of job files.
//
// Loading always runs parse, then default, then validate, and collects every problem it finds
// so that one checkconfig run reports them all. Files are decoded strictly: an unknown or
// duplicated key is an error naming the file, the line and the key path. Warnings lists what
// loads but is unsafe to run, such as a pull request's title substituted into a script
// (scriptinjection.go); checkconfig prints them.
package config
