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

package localcluster

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"time"
)

// The local node has no registry and no network to one: every image a pod uses is built here
// from host files and imported into containerd. Tags are never "latest", so the kubelet's
// default pull policy (IfNotPresent) finds them and never tries to pull.
const (
	// BusyboxImage has a static busybox with its applets linked in /bin: the shell image for
	// Tekton and the step image for local pipelines.
	BusyboxImage = "bosun.local/busybox:v1"
	// pauseImage is the pod sandbox: busybox sleeping. containerd stops sandboxes with
	// SIGKILL, so the sleeper needs no signal handling.
	pauseImage = "bosun.local/pause:v1"
	// tektonImagePrefix names the images of Tekton's pod-side binaries, one per binary, each
	// at /ko-app/<name> as in Tekton's own images.
	tektonImagePrefix = "bosun.local/tekton/"
)

// imageSpec is a single-layer image assembled from host files.
type imageSpec struct {
	name       string
	entrypoint []string
	// files maps a path in the image to the host file copied there (mode kept).
	files map[string]string
	// symlinks maps a path in the image to its target.
	symlinks map[string]string
	// dirs are created empty (mode 1777 for tmp, 0755 otherwise).
	dirs []string
}

// busyboxImage returns the busybox image spec: the binary plus one symlink per applet, so
// `sh`, `echo`, `sleep` ... resolve on PATH as in the usual busybox images.
func busyboxImage(name, busybox string, applets []string, entrypoint []string) imageSpec {
	links := make(map[string]string, len(applets))
	for _, applet := range applets {
		if applet != "busybox" {
			links["bin/"+applet] = "busybox"
		}
	}
	return imageSpec{
		name:       name,
		entrypoint: entrypoint,
		files:      map[string]string{"bin/busybox": busybox},
		symlinks:   links,
		dirs:       []string{"tmp", "etc", "root", "workspace"},
	}
}

// writeOCIArchive writes spec as an OCI image layout tar archive, the format
// `ctr images import` reads: oci-layout, index.json and the blobs (an uncompressed layer, the
// config and the manifest). The output is reproducible: fixed times and owners.
func writeOCIArchive(w io.Writer, spec imageSpec) error {
	layer, err := buildLayer(spec)
	if err != nil {
		return fmt.Errorf("image %s: %w", spec.name, err)
	}
	layerDigest := digestOf(layer)
	epoch := time.Unix(0, 0).UTC().Format(time.RFC3339)
	config, err := json.Marshal(map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"created":      epoch,
		"config": map[string]any{
			"Env":        []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			"Entrypoint": spec.entrypoint,
			"WorkingDir": "/",
		},
		"rootfs":  map[string]any{"type": "layers", "diff_ids": []string{layerDigest}},
		"history": []map[string]string{{"created": epoch, "created_by": "bosun localcluster"}},
	})
	if err != nil {
		return err
	}
	manifest, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"config":        descriptor("application/vnd.oci.image.config.v1+json", config),
		"layers":        []map[string]any{descriptor("application/vnd.oci.image.layer.v1.tar", layer)},
	})
	if err != nil {
		return err
	}
	manifestDesc := descriptor("application/vnd.oci.image.manifest.v1+json", manifest)
	manifestDesc["platform"] = map[string]string{"architecture": "amd64", "os": "linux"}
	manifestDesc["annotations"] = map[string]string{
		"io.containerd.image.name":          spec.name,
		"org.opencontainers.image.ref.name": spec.name,
	}
	index, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.index.v1+json",
		"manifests":     []map[string]any{manifestDesc},
	})
	if err != nil {
		return err
	}

	tw := tar.NewWriter(w)
	entries := []struct {
		name string
		data []byte
	}{
		{"oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{"index.json", index},
		{"blobs/sha256/" + hexOf(layer), layer},
		{"blobs/sha256/" + hexOf(config), config},
		{"blobs/sha256/" + hexOf(manifest), manifest},
	}
	for _, e := range entries {
		if err := writeTarFile(tw, e.name, 0o644, e.data); err != nil {
			return fmt.Errorf("image %s: %w", spec.name, err)
		}
	}
	return tw.Close()
}

// buildLayer returns the image's root filesystem as an uncompressed tar.
func buildLayer(spec imageSpec) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	// Parent directories first, each once, in a stable order.
	dirs := map[string]bool{}
	addParents := func(p string) {
		for d := path.Dir(p); d != "." && d != "/"; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	for p := range spec.files {
		addParents(p)
	}
	for p := range spec.symlinks {
		addParents(p)
	}
	for _, d := range spec.dirs {
		dirs[d] = true
		addParents(d)
	}
	for _, d := range sortedKeys(dirs) {
		mode := int64(0o755)
		if d == "tmp" {
			mode = 0o1777
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: mode, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
	}
	for _, p := range sortedKeys(spec.files) {
		src := spec.files[p]
		data, err := os.ReadFile(src)
		if err != nil {
			return nil, fmt.Errorf("reading %s for /%s: %w", src, p, err)
		}
		info, err := os.Stat(src)
		if err != nil {
			return nil, err
		}
		if err := writeTarFile(tw, p, int64(info.Mode().Perm()), data); err != nil {
			return nil, err
		}
	}
	for _, p := range sortedKeys(spec.symlinks) {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: p, Linkname: spec.symlinks[p], Mode: 0o777, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeTarFile(tw *tar.Writer, name string, mode int64, data []byte) error {
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data)), ModTime: time.Unix(0, 0), Format: tar.FormatPAX}); err != nil {
		return err
	}
	_, err := tw.Write(data)
	return err
}

func descriptor(mediaType string, blob []byte) map[string]any {
	return map[string]any{"mediaType": mediaType, "digest": digestOf(blob), "size": len(blob)}
}

func hexOf(blob []byte) string {
	sum := sha256.Sum256(blob)
	return hex.EncodeToString(sum[:])
}

func digestOf(blob []byte) string { return "sha256:" + hexOf(blob) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
