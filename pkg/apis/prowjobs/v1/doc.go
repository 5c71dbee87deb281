// Package v1 holds the ProwJob type, wire-compatible with Prow's prow.k8s.io/v1 schema so that
// Prow's own tools can read bosun's jobs. bosun runs the jobs whose agent is tekton-pipeline.
//
// +k8s:deepcopy-gen=package
// +groupName=prow.k8s.io
package v1
