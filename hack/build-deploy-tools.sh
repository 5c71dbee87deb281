#!/usr/bin/env bash
# Builds the Helm CLI and a `kustomize build` (both pinned in hack/tools/deploy) into the binary
# cache, for `make generate` (config/ is rendered from the chart) and the install tests.
# Rebuilt only when the pins change: the cache key is a hash of the tools module.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${BOSUN_BIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bosun/bin}
mkdir -p "$bin"
mod="$repo/hack/tools/deploy"
key=$(cat "$mod/go.mod" "$mod/go.sum" "$mod/kustomize/main.go" | sha256sum | cut -c1-16)

if [ -x "$bin/helm" ] && [ -x "$bin/kustomize" ] && [ "$(cat "$bin/deploy-tools.version" 2>/dev/null)" = "$key" ]; then
  echo "helm and kustomize: cached in $bin"
  exit 0
fi
helm_version=$(awk '$1=="helm.sh/helm/v4" {print $2}' "$mod/go.mod")
echo "building helm $helm_version and kustomize into $bin (about 4 minutes cold, once)"
cd "$mod"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$helm_version" \
  -o "$bin/helm.new" helm.sh/helm/v4/cmd/helm
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$bin/kustomize.new" ./kustomize
mv "$bin/helm.new" "$bin/helm"
mv "$bin/kustomize.new" "$bin/kustomize"
echo "$key" > "$bin/deploy-tools.version"
