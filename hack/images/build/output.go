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

package build

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Built is an image and the reference it is published as.
type Built struct {
	Name  string // the short name: hook, controller, checkconfig
	Ref   name.Tag
	Image v1.Image
}

// Result is what images.txt says of one image.
type Result struct {
	Ref    string
	Digest v1.Hash // the manifest's digest
	Size   int64   // compressed: the manifest, the config and the compressed layers
}

// Write writes images into dir:
//   - layout/: one OCI image layout holding every image, each index entry annotated with
//     org.opencontainers.image.ref.name = its full reference (rewritten from scratch);
//   - <name>.tar: a docker-style tarball (go-containerregistry's tarball.Write, tagged with the
//     full reference), which `ctr images import` and `docker load` read. containerd rewrites
//     the manifest on import, so `ctr images ls` shows another manifest digest; the config
//     digest (the image ID) and the layers are the same;
//   - images.txt: "<reference> <digest> <compressed size>" per image.
func Write(dir string, images []Built) ([]Result, error) {
	layoutDir := filepath.Join(dir, "layout")
	if err := os.RemoveAll(layoutDir); err != nil {
		return nil, err
	}
	lp, err := layout.Write(layoutDir, empty.Index)
	if err != nil {
		return nil, fmt.Errorf("layout: %w", err)
	}
	var results []Result
	var list strings.Builder
	for _, b := range images {
		cfg, err := b.Image.ConfigFile()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", b.Ref, err)
		}
		err = lp.AppendImage(b.Image,
			layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": b.Ref.String()}),
			layout.WithPlatform(v1.Platform{OS: cfg.OS, Architecture: cfg.Architecture}))
		if err != nil {
			return nil, fmt.Errorf("%s: layout: %w", b.Ref, err)
		}
		tarPath := filepath.Join(dir, b.Name+".tar")
		if err := tarball.WriteToFile(tarPath+".new", b.Ref, b.Image); err != nil {
			return nil, fmt.Errorf("%s: tarball: %w", b.Ref, err)
		}
		if err := os.Rename(tarPath+".new", tarPath); err != nil {
			return nil, err
		}
		r, err := describe(b)
		if err != nil {
			return nil, err
		}
		results = append(results, r)
		fmt.Fprintf(&list, "%s %s %d\n", r.Ref, r.Digest, r.Size)
	}
	if err := os.WriteFile(filepath.Join(dir, "images.txt"), []byte(list.String()), 0o644); err != nil {
		return nil, err
	}
	return results, nil
}

// describe returns b's digest and compressed size.
func describe(b Built) (Result, error) {
	digest, err := b.Image.Digest()
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", b.Ref, err)
	}
	raw, err := b.Image.RawManifest()
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", b.Ref, err)
	}
	m, err := b.Image.Manifest()
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", b.Ref, err)
	}
	size := int64(len(raw)) + m.Config.Size
	for _, l := range m.Layers {
		size += l.Size
	}
	return Result{Ref: b.Ref.String(), Digest: digest, Size: size}, nil
}

// Push writes each image to its reference's registry, with credentials from keychain
// (authn.DefaultKeychain in hack/images: docker's config and credential helpers).
func Push(ctx context.Context, images []Built, keychain authn.Keychain, opts ...remote.Option) error {
	opts = append([]remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(keychain)}, opts...)
	for _, b := range images {
		if err := remote.Write(b.Ref, b.Image, opts...); err != nil {
			return fmt.Errorf("pushing %s: %w", b.Ref, err)
		}
	}
	return nil
}
