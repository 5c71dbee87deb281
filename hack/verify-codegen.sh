#!/usr/bin/env bash
# Fails when the checked-in generated files differ from what hack/update-codegen.sh produces.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
"$repo/hack/update-codegen.sh"
# Only generated paths: hand-written API files may be mid-edit without anything being stale.
generated=(pkg/client config charts/bosun/crds charts/bosun/files ':(glob)pkg/apis/**/zz_generated.deepcopy.go')
if [ -n "$(git status --porcelain -- "${generated[@]}")" ]; then
  echo "generated files are out of date: run 'make generate' and commit the result" >&2
  git status --porcelain -- "${generated[@]}" >&2
  exit 1
fi
echo "generated files are up to date"
