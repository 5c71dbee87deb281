#!/usr/bin/env bash
# Regenerates everything derived from pkg/apis: deepcopy, clientset, listers, informers,
# knative injection packages and the ProwJob CRD. The generators are pinned as `tool`
# directives in go.mod, so `go tool` runs the same versions everywhere.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
module=$(go list -m)
apis=$module/pkg/apis/prowjobs/v1
client=$module/pkg/client
header=hack/boilerplate/boilerplate.go.txt

rm -rf pkg/client pkg/apis/prowjobs/v1/zz_generated.deepcopy.go config/crd

go tool deepcopy-gen --go-header-file "$header" --output-file zz_generated.deepcopy.go "$apis"
go tool client-gen --go-header-file "$header" --clientset-name versioned \
  --input-base "$module/pkg/apis" --input prowjobs/v1 \
  --output-pkg "$client/clientset" --output-dir pkg/client/clientset
go tool lister-gen --go-header-file "$header" \
  --output-pkg "$client/listers" --output-dir pkg/client/listers "$apis"
go tool informer-gen --go-header-file "$header" \
  --versioned-clientset-package "$client/clientset/versioned" --listers-package "$client/listers" \
  --output-pkg "$client/informers" --output-dir pkg/client/informers "$apis"
go tool injection-gen --go-header-file "$header" --input-dirs "$apis" \
  --versioned-clientset-package "$client/clientset/versioned" \
  --external-versions-informers-package "$client/informers/externalversions" \
  --listers-package "$client/listers" \
  --output-package "$client/injection" --output-dir pkg/client/injection

go tool controller-gen crd paths=./pkg/apis/... output:crd:artifacts:config=config/crd

# The install manifests, rendered from the chart (hack/update-config.sh).
"$(dirname "$0")/update-config.sh"
