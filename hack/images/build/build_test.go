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
	"archive/tar"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

var testMetadata = Metadata{
	Source:   "https://github.com/bosun-ci/bosun",
	Version:  "v0.1.0-3-gabcdef0",
	Revision: "abcdef0123456789abcdef0123456789abcdef01",
	Licenses: "Apache-2.0",
	Epoch:    time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC),
}

// buildFromFile builds the hook image from a binary on disk, as hack/images does.
func buildFromFile(t *testing.T, binaryPath string) v1.Image {
	t.Helper()
	binary, err := os.ReadFile(binaryPath)
	if err != nil {
		t.Fatal(err)
	}
	base, err := BaseLayer(CABundle(), testMetadata.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	img, err := Image(base, Spec{Name: "hook", Description: "test hook", Binary: binary, OS: "linux", Arch: "amd64"}, testMetadata)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func buildImage(t *testing.T, binary string) v1.Image {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hook")
	if err := os.WriteFile(p, []byte(binary), 0o755); err != nil {
		t.Fatal(err)
	}
	return buildFromFile(t, p)
}

func digest(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func layerDigests(t *testing.T, img v1.Image) []v1.Hash {
	t.Helper()
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	var ds []v1.Hash
	for _, l := range m.Layers {
		ds = append(ds, l.Digest)
	}
	return ds
}

func TestReproducible(t *testing.T) {
	p := filepath.Join(t.TempDir(), "hook")
	if err := os.WriteFile(p, []byte("\x7fELF fake hook binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	first := digest(t, buildFromFile(t, p))

	// Another second on the clock, another mtime and mode on the host file: same image.
	time.Sleep(1100 * time.Millisecond)
	if err := os.Chtimes(p, time.Now(), time.Now().Add(-72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o700); err != nil {
		t.Fatal(err)
	}
	if second := digest(t, buildFromFile(t, p)); second != first {
		t.Errorf("second build's digest %s, want the first's %s", second, first)
	}
}

func TestBinaryChangesOnlyItsLayer(t *testing.T) {
	a, b := buildImage(t, "binary A"), buildImage(t, "binary B")
	if digest(t, a) == digest(t, b) {
		t.Fatalf("different binaries gave the same digest %s", digest(t, a))
	}
	la, lb := layerDigests(t, a), layerDigests(t, b)
	if len(la) != 2 || len(lb) != 2 {
		t.Fatalf("layers = %v and %v, want 2 each (base, binary)", la, lb)
	}
	if la[0] != lb[0] {
		t.Errorf("base layer digests differ: %s and %s", la[0], lb[0])
	}
	if la[1] == lb[1] {
		t.Errorf("binary layers have the same digest %s", la[1])
	}
}

func TestConfigAndFiles(t *testing.T) {
	img := buildImage(t, "\x7fELF hook")
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.OS != "linux" || cfg.Architecture != "amd64" {
		t.Errorf("platform %s/%s, want linux/amd64", cfg.OS, cfg.Architecture)
	}
	if !cfg.Created.Time.Equal(testMetadata.Epoch) {
		t.Errorf("created %s, want the commit time %s", cfg.Created.Time, testMetadata.Epoch)
	}
	c := cfg.Config
	if c.User != "65532:65532" {
		t.Errorf("user %q, want 65532:65532", c.User)
	}
	if !slices.Equal(c.Entrypoint, []string{"/ko-app/hook"}) {
		t.Errorf("entrypoint %q, want [/ko-app/hook]", c.Entrypoint)
	}
	if c.WorkingDir != "/" {
		t.Errorf("working dir %q, want /", c.WorkingDir)
	}
	if !slices.Contains(c.Env, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt") || !slices.ContainsFunc(c.Env, func(e string) bool { return strings.HasPrefix(e, "PATH=/ko-app:") }) {
		t.Errorf("env %q, want PATH with /ko-app and SSL_CERT_FILE", c.Env)
	}
	for k, want := range map[string]string{
		"org.opencontainers.image.title":    "hook",
		"org.opencontainers.image.revision": testMetadata.Revision,
		"org.opencontainers.image.version":  testMetadata.Version,
		"org.opencontainers.image.source":   testMetadata.Source,
		"org.opencontainers.image.created":  "2026-12-01T12:00:00Z",
		"org.opencontainers.image.licenses": "Apache-2.0",
	} {
		if got := c.Labels[k]; got != want {
			t.Errorf("label %s = %q, want %q", k, got, want)
		}
	}
	if c.Labels["org.opencontainers.image.description"] == "" {
		t.Error("no description label")
	}

	files := imageFiles(t, img)
	passwd, ok := files["etc/passwd"]
	if !ok || !strings.Contains(string(passwd.data), "nonroot:x:65532:65532:") {
		t.Errorf("/etc/passwd = %q, want a nonroot line with uid and gid 65532", passwd.data)
	}
	if group := files["etc/group"]; !strings.Contains(string(group.data), "nonroot:x:65532:") {
		t.Errorf("/etc/group = %q, want nonroot with gid 65532", group.data)
	}
	pool, n := x509.NewCertPool(), 0
	for rest := files["etc/ssl/certs/ca-certificates.crt"].data; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatalf("CA bundle: %v", err)
		}
		pool.AddCert(cert)
		n++
	}
	if n < 100 {
		t.Errorf("CA bundle has %d certificates, want the ~150 of the NSS store", n)
	}
	if tmp := files["tmp/"]; tmp.hdr == nil || tmp.hdr.Typeflag != tar.TypeDir || tmp.hdr.Mode != 0o1777 {
		t.Errorf("/tmp = %+v, want a directory with mode 1777", tmp.hdr)
	}
	app := files["ko-app/hook"]
	if app.hdr == nil || string(app.data) != "\x7fELF hook" || app.hdr.Mode != 0o755 {
		t.Errorf("/ko-app/hook = %+v, want the binary with mode 0755", app.hdr)
	}
	var names []string
	for name, f := range files {
		names = append(names, name)
		if !f.hdr.ModTime.Equal(testMetadata.Epoch) {
			t.Errorf("%s mtime %s, want the commit time", name, f.hdr.ModTime)
		}
		wantOwner := 0
		if name == "home/nonroot/" {
			wantOwner = NonRoot
		}
		if f.hdr.Uid != wantOwner || f.hdr.Gid != wantOwner {
			t.Errorf("%s owned by %d:%d, want %d:%d", name, f.hdr.Uid, f.hdr.Gid, wantOwner, wantOwner)
		}
	}
	if len(names) == 0 {
		t.Fatal("no files")
	}
}

type entry struct {
	hdr  *tar.Header
	data []byte
}

// imageFiles reads every layer's entries, checking each layer is sorted.
func imageFiles(t *testing.T, img v1.Image) map[string]entry {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]entry{}
	for i, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		prev := ""
		for {
			hdr, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if hdr.Name <= prev {
				t.Errorf("layer %d: %s after %s, want sorted entries", i, hdr.Name, prev)
			}
			prev = hdr.Name
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			files[hdr.Name] = entry{hdr: hdr, data: data}
		}
		rc.Close()
	}
	return files
}

func TestWriteReadsBack(t *testing.T) {
	dir := t.TempDir()
	var images []Built
	for _, n := range []string{"hook", "controller"} {
		ref, err := name.NewTag("ghcr.io/bosun-ci/bosun/" + n + ":v0.1.0")
		if err != nil {
			t.Fatal(err)
		}
		images = append(images, Built{Name: n, Ref: ref, Image: buildImage(t, "binary "+n)})
	}
	// Twice: the second run replaces the layout instead of adding to it.
	for range 2 {
		if _, err := Write(dir, images); err != nil {
			t.Fatal(err)
		}
	}

	ii, err := layout.ImageIndexFromPath(filepath.Join(dir, "layout"))
	if err != nil {
		t.Fatal(err)
	}
	index, err := ii.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(index.Manifests) != len(images) {
		t.Fatalf("layout index has %d manifests, want %d", len(index.Manifests), len(images))
	}
	list, err := os.ReadFile(filepath.Join(dir, "images.txt"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(list)), "\n")
	for i, b := range images {
		want := digest(t, b.Image)
		desc := index.Manifests[i]
		if got := desc.Annotations["org.opencontainers.image.ref.name"]; got != b.Ref.String() {
			t.Errorf("layout entry %d ref.name %q, want %q", i, got, b.Ref)
		}
		fromLayout, err := ii.Image(desc.Digest)
		if err != nil {
			t.Fatal(err)
		}
		if got := digest(t, fromLayout); got != want {
			t.Errorf("%s: layout digest %s, want %s", b.Ref, got, want)
		}
		fromTar, err := tarball.ImageFromPath(filepath.Join(dir, b.Name+".tar"), &b.Ref)
		if err != nil {
			t.Fatal(err)
		}
		if got := digest(t, fromTar); got != want {
			t.Errorf("%s: tarball digest %s, want %s", b.Ref, got, want)
		}
		fields := strings.Fields(lines[i])
		if len(fields) != 3 || fields[0] != b.Ref.String() || fields[1] != want.String() {
			t.Errorf("images.txt line %q, want %s %s <size>", lines[i], b.Ref, want)
		}
	}
}

func TestPush(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	ref, err := name.NewTag(strings.TrimPrefix(srv.URL, "http://") + "/bosun-ci/bosun/hook:v0.1.0")
	if err != nil {
		t.Fatal(err)
	}
	img := buildImage(t, "binary hook")
	if err := Push(context.Background(), []Built{{Name: "hook", Ref: ref, Image: img}}, authn.NewMultiKeychain()); err != nil {
		t.Fatal(err)
	}
	got, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	if digest(t, got) != digest(t, img) {
		t.Errorf("pulled digest %s, pushed %s", digest(t, got), digest(t, img))
	}
}
