#!/usr/bin/env bash
# Fails when the checked-in generated files differ from what hack/update-codegen.sh produces.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
"$repo/hack/update-codegen.sh"
if ! git diff --exit-code --stat -- pkg/client pkg/apis config/crd || [ -n "$(git status --porcelain -- pkg/client pkg/apis config/crd)" ]; then
  echo "generated files are out of date: run 'make generate' and commit the result" >&2
  git status --porcelain -- pkg/client pkg/apis config/crd >&2
  exit 1
fi
echo "generated files are up to date"
