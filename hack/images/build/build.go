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

// Package build assembles bosun's container images from static binaries, without Docker and
// without a base image from a registry: every image is a shared base layer (CA bundle,
// passwd/group with the nonroot user, /tmp) and a layer with the binary at /ko-app/<name>.
//
// The images are reproducible: every tar entry has the given epoch as mtime and fixed owners,
// entries are sorted, gzip is deterministic, and the config's times are the epoch. Nothing
// reads the clock or the host file's metadata, so the same binary and Metadata give the same
// digests. The images use Docker schema 2 media types, the ones a docker-style tarball can
// carry, so the layout, the tarball and a registry all hold the same manifest digest.
package build

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/pem"
	"fmt"
	"io"
	"path"
	"sort"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"golang.org/x/crypto/x509roots/fallback/bundle"
)

const (
	// AppDir holds the binary, as in ko's images and Tekton's: /ko-app/<name>.
	AppDir = "/ko-app"
	// CABundlePath is where Go's crypto/x509 (and most other TLS stacks) look on Linux.
	CABundlePath = "/etc/ssl/certs/ca-certificates.crt"
	// NonRoot is the uid and gid the images run as (distroless' and ko's nonroot).
	NonRoot = 65532
)

// Env is every image's environment.
var Env = []string{
	"PATH=" + AppDir + ":/usr/local/bin:/usr/bin:/bin",
	"SSL_CERT_FILE=" + CABundlePath,
}

// Metadata describes the source the images are built from; it becomes the OCI labels.
type Metadata struct {
	Source   string    // org.opencontainers.image.source, the repository URL
	Version  string    // org.opencontainers.image.version, also the tag
	Revision string    // org.opencontainers.image.revision, the git commit
	Licenses string    // org.opencontainers.image.licenses, an SPDX expression
	Epoch    time.Time // the commit time: every mtime, the config's created and the label
}

// Spec is one image: a binary and what it is.
type Spec struct {
	Name        string // the image name and the binary's name in AppDir
	Description string
	Binary      []byte // the static binary's contents (host mode, owner and mtime are ignored)
	OS, Arch    string
}

// file is one entry of a layer.
type file struct {
	name     string // relative, no leading slash; directories end in /
	mode     int64
	uid, gid int
	data     []byte
}

// CABundle returns the PEM bundle of golang.org/x/crypto/x509roots/fallback's roots (Mozilla
// NSS's trust store, pinned by that module's version in go.mod). Roots carrying a constraint a
// PEM file cannot express (a distrust-after date) are left out: a client reading the bundle
// could not apply the constraint, so leaving them out errs on the side of distrust.
func CABundle() []byte {
	var buf bytes.Buffer
	for root := range bundle.Roots() {
		if root.Constraint != nil {
			continue
		}
		pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: root.Certificate})
	}
	return buf.Bytes()
}

// BaseLayer returns the layer every image starts with: the CA bundle, /etc/passwd and
// /etc/group with root and nonroot (65532), nonroot's home and an empty world-writable /tmp.
func BaseLayer(caBundle []byte, epoch time.Time) (v1.Layer, error) {
	passwd := "root:x:0:0:root:/root:/sbin/nologin\n" +
		fmt.Sprintf("nonroot:x:%d:%d:nonroot:/home/nonroot:/sbin/nologin\n", NonRoot, NonRoot)
	group := "root:x:0:\n" + fmt.Sprintf("nonroot:x:%d:\n", NonRoot)
	return layer(epoch, []file{
		{name: "etc/", mode: 0o755},
		{name: "etc/group", mode: 0o644, data: []byte(group)},
		{name: "etc/passwd", mode: 0o644, data: []byte(passwd)},
		{name: "etc/ssl/", mode: 0o755},
		{name: "etc/ssl/certs/", mode: 0o755},
		{name: CABundlePath[1:], mode: 0o644, data: caBundle},
		{name: "home/", mode: 0o755},
		{name: "home/nonroot/", mode: 0o700, uid: NonRoot, gid: NonRoot},
		{name: "root/", mode: 0o700},
		{name: "tmp/", mode: 0o1777},
	})
}

// BinaryLayer returns the layer with the binary at AppDir/name, mode 0755, owned by root.
func BinaryLayer(name string, binary []byte, epoch time.Time) (v1.Layer, error) {
	dir := AppDir[1:] + "/"
	return layer(epoch, []file{
		{name: dir, mode: 0o755},
		{name: dir + name, mode: 0o755, data: binary},
	})
}

// Image returns spec's image: base, then the binary's layer, with a config that runs the
// binary as nonroot and carries md as OCI labels.
func Image(base v1.Layer, spec Spec, md Metadata) (v1.Image, error) {
	epoch := v1.Time{Time: md.Epoch.UTC()}
	app, err := BinaryLayer(spec.Name, spec.Binary, md.Epoch)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", spec.Name, err)
	}
	img, err := mutate.Append(empty.Image,
		mutate.Addendum{Layer: base, History: v1.History{Created: epoch, CreatedBy: "bosun hack/images: base (CA bundle, passwd, group, tmp)"}},
		mutate.Addendum{Layer: app, History: v1.History{Created: epoch, CreatedBy: "bosun hack/images: " + path.Join(AppDir, spec.Name)}},
	)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", spec.Name, err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", spec.Name, err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = spec.OS, spec.Arch
	cfg.Created = epoch
	cfg.Config.Entrypoint = []string{path.Join(AppDir, spec.Name)}
	cfg.Config.User = fmt.Sprintf("%d:%d", NonRoot, NonRoot)
	cfg.Config.WorkingDir = "/"
	cfg.Config.Env = Env
	cfg.Config.Labels = map[string]string{
		"org.opencontainers.image.title":       spec.Name,
		"org.opencontainers.image.description": spec.Description,
		"org.opencontainers.image.source":      md.Source,
		"org.opencontainers.image.version":     md.Version,
		"org.opencontainers.image.revision":    md.Revision,
		"org.opencontainers.image.created":     epoch.Format(time.RFC3339),
		"org.opencontainers.image.licenses":    md.Licenses,
	}
	return mutate.ConfigFile(img, cfg)
}

// layer writes files, sorted by name, into an in-memory tar with fixed times and owners and
// returns it as a gzip-compressed layer, compressed once and cached. Go's compress/gzip writes
// no name or time in the header and its output depends only on the input, the level and the
// Go release, so the compressed digest is as reproducible as the tar.
func layer(epoch time.Time, files []file) (v1.Layer, error) {
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	mtime := epoch.UTC().Truncate(time.Second)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		hdr := &tar.Header{
			Name:    f.name,
			Mode:    f.mode,
			Uid:     f.uid,
			Gid:     f.gid,
			ModTime: mtime,
			Format:  tar.FormatUSTAR,
		}
		if hdr.Name[len(hdr.Name)-1] == '/' {
			hdr.Typeflag = tar.TypeDir
		} else {
			hdr.Typeflag = tar.TypeReg
			hdr.Size = int64(len(f.data))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("tar entry %s: %w", f.name, err)
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, fmt.Errorf("tar entry %s: %w", f.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithCompressionLevel(gzip.DefaultCompression), tarball.WithCompressedCaching)
}
