# bosun — run `make help` for the targets.
SHELL := /bin/bash
GO ?= go
BIN_DIR ?= $(or $(BOSUN_BIN_DIR),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/bosun/bin)
export BOSUN_BIN_DIR := $(BIN_DIR)
TEST_FLAGS ?=

.PHONY: deploy-tools tkn help build images generate verify-generate lint control-plane node test test-no-node test-unit test-integration test-faults demo bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

build: ## build the binaries into ./bin
	$(GO) build -o bin/ ./cmd/...

images: ## container images of hook, controller, checkconfig without Docker into IMAGES_DIR (_output/images); IMAGE_REPO, VERSION, IMAGE_PUSH=1
	GO="$(GO)" IMAGE_REPO="$(IMAGE_REPO)" VERSION="$(VERSION)" $(GO) run ./hack/images --out="$(IMAGES_DIR)"

generate: ## regenerate deepcopy, clients, informers, injection, the CRD, config/ from the chart and the chart README's values table
	./hack/update-codegen.sh

verify-generate: ## fail if generated files differ from a fresh `make generate`
	./hack/verify-codegen.sh

lint: ## gofmt and go vet
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

control-plane: ## build etcd and kube-apiserver into $(BIN_DIR) (cached; ~20 min cold, once)
	./hack/build-control-plane.sh

node: control-plane ## build kubelet, kube-scheduler, Tekton's controller and images' binaries; install containerd (cached)
	./hack/build-node.sh

test: control-plane node deploy-tools ## all tests: unit, integration on a real apiserver, e2e on a real node with Tekton (root)
	BOSUN_REQUIRE_CLUSTER=1 BOSUN_REQUIRE_NODE=1 $(GO) test $(TEST_FLAGS) ./...

test-no-node: control-plane deploy-tools ## all tests but those needing a real node (no root, no containerd); they skip
	BOSUN_REQUIRE_CLUSTER=1 $(GO) test $(TEST_FLAGS) ./...

test-unit: ## unit tests only (no control plane needed)
	$(GO) test $(TEST_FLAGS) $$($(GO) list ./... | grep -v -e /test/install -e /test/integration -e /test/localcluster -e /test/bench -e /test/faults)

test-faults: control-plane ## fault suite on the control plane: apiserver freeze and crash, controller kill -9, GitHub outages, racing ChatOps on two hooks, hook memory attack, real webhook corpus (FAULT lines)
	BOSUN_REQUIRE_CLUSTER=1 $(GO) test -count=1 -v ./test/faults/ -timeout 15m

deploy-tools: ## build helm and a kustomize into $(BIN_DIR) (pinned in hack/tools/deploy; ~4 min cold, once)
	./hack/build-deploy-tools.sh

tkn: ## build the tkn CLI into $(BIN_DIR) (optional, for the demo; ~13 min cold, once)
	./hack/build-tkn.sh

demo: control-plane node ## a PR webhook and a /test comment run real pipelines on a local node with Tekton (root)
	$(GO) run ./test/demo

bench: control-plane ## webhook -> PipelineRun latency vs the floor; bursts of 200 webhooks and 1,000 ProwJobs; controller RSS at 10,000 jobs; GitHub calls per event
	BOSUN_REQUIRE_CLUSTER=1 $(GO) test ./test/bench/... -run '^$$' -bench . -benchtime 1x -timeout 30m

clean: ## remove ./bin (the control-plane cache stays)
	rm -rf bin
