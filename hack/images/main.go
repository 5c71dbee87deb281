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

// Command images builds the container images of bosun's deployables (hook, controller,
// checkconfig) without Docker or a base image: static binaries, a base layer made from files,
// go-containerregistry to assemble and write them. Run it as `make images`.
//
// Output (--out, default _output/images in the repo): layout/ (an OCI image layout with every
// image), <name>.tar (a docker-style tarball per image, for `ctr -n k8s.io images import`),
// images.txt ("<reference> <digest> <compressed size>"), and bin/ with the binaries.
//
// The images are reproducible: the same commit (and VERSION) gives the same digests. Every
// time in them is the commit's time, or SOURCE_DATE_EPOCH if set. The binaries depend on the
// Go toolchain as well, so the digests are the same for the same go version.
//
// Environment: IMAGE_REPO (default ghcr.io/bosun-ci/bosun), VERSION (default `git describe
// --tags --always --dirty`; also the tag), SOURCE_DATE_EPOCH, IMAGE_PUSH=1 (as --push: push
// each image with the credentials of docker's config and credential helpers).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/bosun-ci/bosun/hack/images/build"
)

// deployables are the images, in the order they are built and listed.
var deployables = []struct{ name, description string }{
	{"hook", "bosun's webhook server: GitHub deliveries in, ProwJobs out."},
	{"controller", "bosun's ProwJob reconcilers: ProwJob to PipelineRun, status mirrored back, GitHub status reporting."},
	{"checkconfig", "Validates bosun's config and job config as bosun itself loads them."},
}

const (
	defaultRepo = "ghcr.io/bosun-ci/bosun"
	source      = "https://github.com/bosun-ci/bosun"
	licenses    = "Apache-2.0"
)

func main() {
	log.SetFlags(0)
	out := flag.String("out", "", "output directory (default _output/images in the repository)")
	arch := flag.String("arch", runtime.GOARCH, "GOARCH of the binaries and images (the OS is linux)")
	push := flag.Bool("push", os.Getenv("IMAGE_PUSH") == "1", "push the images to $IMAGE_REPO (also IMAGE_PUSH=1)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *out, *arch, *push); err != nil {
		log.Fatalf("images: %v", err)
	}
}

func run(ctx context.Context, out, arch string, push bool) error {
	began := time.Now()
	repo, err := git(ctx, "", "rev-parse", "--show-toplevel")
	if err != nil {
		return err
	}
	if out == "" {
		out = filepath.Join(repo, "_output", "images")
	}
	md, err := metadata(ctx, repo)
	if err != nil {
		return err
	}
	imageRepo := os.Getenv("IMAGE_REPO")
	if imageRepo == "" {
		imageRepo = defaultRepo
	}

	binDir := filepath.Join(out, "bin", "linux_"+arch)
	var pkgs []string
	for _, d := range deployables {
		pkgs = append(pkgs, "./cmd/"+d.name)
	}
	goCmd := os.Getenv("GO")
	if goCmd == "" {
		goCmd = "go"
	}
	if err := build.Compile(ctx, goCmd, repo, binDir, arch, pkgs); err != nil {
		return fmt.Errorf("go build: %w", err)
	}
	log.Printf("binaries built for linux/%s after %s", arch, since(began))

	base, err := build.BaseLayer(build.CABundle(), md.Epoch)
	if err != nil {
		return err
	}
	var images []build.Built
	for _, d := range deployables {
		ref, err := name.NewTag(imageRepo + "/" + d.name + ":" + md.Version)
		if err != nil {
			return fmt.Errorf("image reference: %w", err)
		}
		binary, err := os.ReadFile(filepath.Join(binDir, d.name))
		if err != nil {
			return err
		}
		img, err := build.Image(base, build.Spec{Name: d.name, Description: d.description, Binary: binary, OS: "linux", Arch: arch}, md)
		if err != nil {
			return err
		}
		images = append(images, build.Built{Name: d.name, Ref: ref, Image: img})
	}
	results, err := build.Write(out, images)
	if err != nil {
		return err
	}
	for _, r := range results {
		fmt.Printf("%s %s %d bytes (%.1f MiB)\n", r.Ref, r.Digest, r.Size, float64(r.Size)/(1<<20))
	}
	fmt.Printf("wrote %s (layout/, *.tar, images.txt)\n", out)
	if push {
		if err := build.Push(ctx, images, authn.DefaultKeychain); err != nil {
			return err
		}
		fmt.Printf("pushed %d images to %s\n", len(images), imageRepo)
	}
	fmt.Printf("total %s\n", since(began))
	return nil
}

// metadata returns the labels' facts: the commit, its time (or SOURCE_DATE_EPOCH) and the
// version (VERSION, or git describe).
func metadata(ctx context.Context, repo string) (build.Metadata, error) {
	md := build.Metadata{Source: source, Licenses: licenses, Version: os.Getenv("VERSION")}
	var err error
	if md.Revision, err = git(ctx, repo, "rev-parse", "HEAD"); err != nil {
		return md, err
	}
	epoch := os.Getenv("SOURCE_DATE_EPOCH")
	if epoch == "" {
		if epoch, err = git(ctx, repo, "log", "-1", "--format=%ct", "HEAD"); err != nil {
			return md, err
		}
	}
	secs, err := strconv.ParseInt(epoch, 10, 64)
	if err != nil {
		return md, fmt.Errorf("commit time or SOURCE_DATE_EPOCH %q: %w", epoch, err)
	}
	md.Epoch = time.Unix(secs, 0).UTC()
	if md.Version == "" {
		if md.Version, err = git(ctx, repo, "describe", "--tags", "--always", "--dirty"); err != nil {
			return md, err
		}
	}
	return md, nil
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out)), nil
}

func since(t time.Time) time.Duration { return time.Since(t).Round(10 * time.Millisecond) }
