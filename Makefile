# zoo-locked — see README.md. Every target works on a fresh Debian 12 machine
# once .ci/run (or `make deps`) has installed the Debian packages.
GO        ?= go
BIN       := bin
# The ZooKeeper version the harness runs: 3.8 (Debian 12's), 3.9 or 3.4.
ZK        ?= 3.8
ZK_IMAGE  ?= zoo-locked/zookeeper:$(ZK)
# What --version prints and what the packages are versioned as.
VERSION   := $(shell scripts/version.sh)
LDFLAGS   := -X main.version=$(VERSION)
# nfpm builds the .deb files; run from the module proxy at a pinned version.
NFPM      := $(GO) run github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2
export TESTCONTAINERS_RYUK_DISABLED = true
export ZOOLOCKED_ZK_IMAGE ?= $(ZK_IMAGE)

.PHONY: all build man deb test test-short bench bench-ridethrough soak image images demo clean deps peers compare

all: build

# Static binaries: no dynamic loader at start-up (about 3 ms per cron run)
# and no dependence on the host's libc.
build:
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/...

# Man pages, written by the binaries from the description --help uses.
man: build
	mkdir -p dist/man
	$(BIN)/zoo-locked --man | gzip -9n > dist/man/zoo-locked.1.gz
	$(BIN)/zoo-chaos --man | gzip -9n > dist/man/zoo-chaos.1.gz

# dist/zoo-locked_$(VERSION)_amd64.deb and dist/zoo-locked-chaos_$(VERSION)_amd64.deb
deb: man
	VERSION=$(VERSION) $(NFPM) package --config scripts/package/zoo-locked.yaml --packager deb --target dist/zoo-locked_$(VERSION)_amd64.deb
	VERSION=$(VERSION) $(NFPM) package --config scripts/package/zoo-locked-chaos.yaml --packager deb --target dist/zoo-locked-chaos_$(VERSION)_amd64.deb

# The whole suite: unit tests, then integration tests against real ensembles
# (containers and local processes) and the scenario catalogue.
test: images build
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m -p 1 ./...

# Unit tests only: no ZooKeeper, no containers.
test-short:
	$(GO) test -count=1 -short ./...

# The quick benches (a few minutes): everything but the ride-through table.
bench: image build
	$(GO) test -run '^$$' -bench . -skip '^BenchmarkRideThrough$$' -benchtime 3x -count=1 -timeout 50m -p 1 ./...

# The ride-through table of README's "Choosing --session-timeout": 12
# two-minute trials, about 25 minutes.
bench-ridethrough: image build
	$(GO) test -run '^$$' -bench '^BenchmarkRideThrough$$' -benchtime 1x -count=1 -timeout 60m -p 1 ./scenarios

# The long run, outside make test: random faults on 5 nodes under
# production timing, with 2-minute jobs; prints one table and writes
# soak-report/. SOAK_DURATION=10m make soak for a shorter one.
SOAK_DURATION ?= 1h
soak: image build
	$(BIN)/zoo-chaos run soak --duration $(SOAK_DURATION) --report soak-report

image:
	ZK=$(ZK) scripts/build-zk-image.sh $(ZK_IMAGE)

# Every version the suite runs: 3.8, and 3.9 and 3.4 for their scenarios.
images:
	for v in 3.8 3.9 3.4; do ZK=$$v scripts/build-zk-image.sh || exit 1; done

demo: image build
	$(BIN)/zoo-chaos run demo --report demo-report

deps:
	apt-get update -qq && apt-get install -y -qq --no-install-recommends debootstrap zookeeper default-jre-headless default-jdk-headless libcurator-recipes-java faketime curl xz-utils chromium python3-kazoo gcc libzookeeper-mt-dev

# Removes the binaries and whatever a killed test left in the engine.
clean:
	rm -rf $(BIN) dist demo-report soak-report compare-report
	-docker ps -aq --filter label=dev.zoo-locked.ensemble | xargs -r docker rm -f
	-docker network ls -q --filter label=dev.zoo-locked.ensemble | xargs -r docker network rm

# The peers of docs/examples/peers, built for zoo-chaos compare: the C
# recipe against libzookeeper-mt-dev, Curator's mutex against Debian's jars.
peers:
	mkdir -p $(BIN)/peers
	gcc -O2 -o $(BIN)/peers/c-lock docs/examples/peers/c-lock.c -lzookeeper_mt
	javac -d $(BIN)/peers -cp "$$(cat docs/examples/peers/classpath)" docs/examples/peers/CuratorLock.java

# README's comparison table: zoo-locked and the three peers, same seed.
compare: image build peers
	scripts/compare-peers.sh compare-report
