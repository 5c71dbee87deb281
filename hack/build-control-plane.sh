#!/usr/bin/env bash
# Builds the local control plane's binaries (etcd, kube-apiserver) from the Go module proxy
# into a cache directory outside the repo, and skips any binary whose version already matches.
# Versions are pinned by the wrapper modules under hack/tools/.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${BOSUN_BIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bosun/bin}
mkdir -p "$bin"

k8s_version=$(awk '$1=="require" && $2=="k8s.io/kubernetes" {print $3}' "$repo/hack/tools/k8s/go.mod")
etcd_version=$(awk '$1=="go.etcd.io/etcd/server/v3" {print $2}' "$repo/hack/tools/etcd/go.mod")
[ -n "$k8s_version" ] && [ -n "$etcd_version" ] || { echo "cannot read pinned versions" >&2; exit 1; }

if "$bin/etcd" --version 2>/dev/null | grep -q "etcd Version: ${etcd_version#v}"; then
  echo "etcd $etcd_version: cached in $bin"
else
  echo "building etcd $etcd_version into $bin (about 2 minutes cold, once)"
  (cd "$repo/hack/tools/etcd" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$bin/etcd.new" go.etcd.io/etcd/server/v3)
  mv "$bin/etcd.new" "$bin/etcd"
fi

if "$bin/kube-apiserver" --version 2>/dev/null | grep -qx "Kubernetes $k8s_version"; then
  echo "kube-apiserver $k8s_version: cached in $bin"
else
  minor=${k8s_version#v1.}; minor=${minor%%.*}
  echo "building kube-apiserver $k8s_version into $bin (about 20 minutes cold on 2 cores, once)"
  (cd "$repo/hack/tools/k8s" && CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$k8s_version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor" \
    -o "$bin/kube-apiserver.new" k8s.io/kubernetes/cmd/kube-apiserver)
  mv "$bin/kube-apiserver.new" "$bin/kube-apiserver"
fi
