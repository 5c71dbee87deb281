#!/usr/bin/env bash
# Builds and installs what a real local node needs, on top of hack/build-control-plane.sh:
#   - kubelet and kube-scheduler, built from the k8s wrapper module (hack/tools/k8s);
#   - Tekton Pipelines' controller and the four binaries its pods use (entrypoint, nop,
#     sidecarlogresults, workingdirinit), built from the tekton wrapper module (hack/tools/tekton);
#   - a static busybox (Debian's busybox-static, unpacked, not installed) for the shell/step image;
#   - containerd, runc and the CNI plugins from Debian when they are missing (needs root + apt).
# Binaries go into the same cache directory as etcd and kube-apiserver and are rebuilt only
# when the pinned version changes.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${BOSUN_BIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bosun/bin}
mkdir -p "$bin"

# --- packages from Debian: the container runtime and CNI plugins
missing=()
command -v containerd >/dev/null || missing+=(containerd)
command -v runc >/dev/null || missing+=(runc)
[ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] && [ -x /usr/lib/cni/loopback ] || missing+=(containernetworking-plugins)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "missing ${missing[*]}: install them (Debian: apt-get install ${missing[*]}) as root" >&2
    exit 1
  fi
  echo "installing ${missing[*]} from Debian (about 1.5 minutes)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
fi

if [ -x "$bin/busybox" ] && "$bin/busybox" true 2>/dev/null; then
  echo "busybox: cached in $bin"
else
  echo "fetching Debian's busybox-static into $bin"
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download -q busybox-static >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get download -q busybox-static >/dev/null; })
  dpkg-deb -x "$tmp"/busybox-static_*.deb "$tmp/root"
  cp "$tmp/root/bin/busybox" "$bin/busybox.new" && mv "$bin/busybox.new" "$bin/busybox"
fi

# --- kubelet and kube-scheduler, same pins and version stamps as kube-apiserver
k8s_version=$(awk '$1=="require" && $2=="k8s.io/kubernetes" {print $3}' "$repo/hack/tools/k8s/go.mod")
minor=${k8s_version#v1.}; minor=${minor%%.*}
for cmd in kubelet kube-scheduler kube-controller-manager; do
  if "$bin/$cmd" --version 2>/dev/null | grep -qx "Kubernetes $k8s_version"; then
    echo "$cmd $k8s_version: cached in $bin"
    continue
  fi
  echo "building $cmd $k8s_version into $bin (kubelet: about 8 minutes after kube-apiserver, 12 cold)"
  (cd "$repo/hack/tools/k8s" && CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$k8s_version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor" \
    -o "$bin/$cmd.new" "k8s.io/kubernetes/cmd/$cmd")
  mv "$bin/$cmd.new" "$bin/$cmd"
done

# --- Tekton Pipelines: the controller and the binaries of the images it puts in pods
tekton_version=$(awk '$1=="github.com/tektoncd/pipeline" {print $2}' "$repo/hack/tools/tekton/go.mod")
[ -n "$tekton_version" ] || { echo "cannot read the pinned Tekton version" >&2; exit 1; }
tekton_dir="$bin/tekton"
if [ -f "$tekton_dir/version" ] && [ "$(cat "$tekton_dir/version")" = "$tekton_version" ]; then
  echo "tekton $tekton_version: cached in $tekton_dir"
else
  echo "building Tekton Pipelines $tekton_version into $tekton_dir (about 13 minutes cold, once)"
  mkdir -p "$tekton_dir"
  for cmd in entrypoint nop sidecarlogresults workingdirinit controller; do
    (cd "$repo/hack/tools/tekton" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" \
      -o "$tekton_dir/$cmd" "github.com/tektoncd/pipeline/cmd/$cmd")
  done
  echo "$tekton_version" > "$tekton_dir/version"
fi
