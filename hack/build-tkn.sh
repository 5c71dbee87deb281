#!/usr/bin/env bash
# Builds the tkn CLI (pinned in hack/tools/tkn) into the control-plane cache directory, once.
# Optional: `make demo` uses it when present to show PipelineRuns the way users see them.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${BOSUN_BIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bosun/bin}
mkdir -p "$bin"
version=$(awk '$1=="github.com/tektoncd/cli" {print $2}' "$repo/hack/tools/tkn/go.mod")
[ -n "$version" ] || { echo "cannot read the pinned tkn version" >&2; exit 1; }

if [ -x "$bin/tkn" ] && [ -f "$bin/tkn.version" ] && [ "$(cat "$bin/tkn.version")" = "$version" ]; then
  echo "tkn $version: cached in $bin"
  exit 0
fi
echo "building tkn $version into $bin (about 13 minutes cold on 2 cores, once)"
(cd "$repo/hack/tools/tkn" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$bin/tkn.new" github.com/tektoncd/cli/cmd/tkn)
mv "$bin/tkn.new" "$bin/tkn"
echo "$version" > "$bin/tkn.version"
