# contain — build, test and benchmark. `make help` lists the targets.

GO          ?= go
BATS        ?= bats
RUNC        ?= runc
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/sbin
MANDIR      ?= $(PREFIX)/share/man
# libcontain/nsenter is cgo: it joins namespaces before the Go runtime starts threads.
CGO_ENABLED ?= 1
FUZZTIME    ?= 10s
GOTESTFLAGS ?=

# Go where the README says it is when PATH has none (sudo's secure_path, a bare login shell):
# every tool make runs (go test, the suites' scripts) finds it too.
ifeq ($(shell command -v $(GO)),)
export PATH := $(PATH):/usr/local/go/bin
endif

# encoding/json on Go's json v2 implementation (a Go 1.25+ experiment, same v1 behaviour): its
# first decode of a type builds its field tables about 3x faster, and every contain process
# decodes the spec or state once (about 1 ms of a `run` here, in the runtime and in init).
# The reference runc is built without it (ref-runc), as upstream builds it.
export GOEXPERIMENT ?= jsonv2

VERSION := $(shell cat VERSION)
COMMIT  := $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X main.gitCommit=$(COMMIT) -X main.version=$(VERSION)
BINARY  := $(CURDIR)/contain
SERVE_BINARY := $(CURDIR)/contain-serve
ROOTFS  := $(CURDIR)/build/rootfs

.PHONY: all help deps init-binary musl-env build build-static rootfs ref-runc test test-parity test-v2 test-systemd test-clients test-cri bench-clients test-unit test-e2e test-bats test-vm-harness lint man validation fuzz bench install clean

all: build

help:
	@echo 'deps        apt-get install what building and testing need (root)'
	@echo 'build       ./contain (version $(VERSION), commit from git)'
	@echo 'build-static build/contain-static, statically linked (for the v2 VM)'
	@echo 'rootfs      build/rootfs: a busybox root filesystem (needs busybox-static)'
	@echo 'ref-runc    build/ref/runc: the reference runc $(REF_RUNC_VERSION), built with go install (cached)'
	@echo 'test        test-unit + test-e2e + test-bats + test-vm-harness, then a pass/fail summary'
	@echo 'test-unit   go test of every package but tests/e2e (root-only tests skip without root)'
	@echo 'test-e2e    the Go end-to-end tests against ./contain (root)'
	@echo 'test-bats   the bats integration suites against ./contain (root)'
	@echo 'test-vm-harness the VM harness'"'"'s accelerator choice and make fuzz'"'"'s re-run rule, against stubs (seconds, no root)'
	@echo 'test-parity the runc parity tests (e2e TestParity*, bats tag "parity") against build/ref/runc'
	@echo 'test-v2     cgroup v2 e2e tests in a qemu VM (tests/vm; CONTAIN_V2_RUN narrows)'
	@echo 'test-systemd systemd as PID 1 in a Debian VM: the systemd cgroup driver, podman, rootless (tests/vm/systemd)'
	@echo 'test-clients containerd + podman run containers through ./contain (root; RUNTIME=/usr/sbin/runc to compare)'
	@echo 'test-cri    containerd CRI plays the kubelet: pods with handlers contain and runc side by side (root)'
	@echo 'bench-clients hyperfine: podman run --rm /bin/true with contain vs runc'
	@echo 'validation  the OCI runtime-tools validation suite against ./contain (root)'
	@echo 'lint        gofmt, go vet, staticcheck, errorlint, shellcheck, clang-format (tests/lint.sh)'
	@echo 'man         regenerate contrib/man from the command table (make test checks they match)'
	@echo 'fuzz        every Fuzz target for FUZZTIME (default 10s) each'
	@echo 'stress      STRESS_CYCLES create/start/delete cycles, STRESS_KILLS with a kill -9; leaks must be 0'
	@echo 'bench       hyperfine: contain vs the reference runc (run, exec, cycle, state, list, 2 at a time)'
	@echo 'install     install contain to $$(DESTDIR)$(BINDIR), its man pages to $$(DESTDIR)$(MANDIR)/man8'
	@echo 'clean       remove ./contain and build/'

deps:
	tests/deps.sh

# urfave_cli_no_docs drops urfave/cli's man-page generator (blackfriday): its package init alone
# cost 1.6 ms in every contain process, and a container start runs two (runtime and init).
GOTAGS := urfave_cli_no_docs

# The binary is static (libseccomp and libc linked in): no dynamic loader runs in any contain
# process (0.3-0.4 ms each here, and a `run` starts two: runtime and init), and the cgroup v2 VM
# guest, which has no libc, runs the same build. netgo and osusergo keep glibc's NSS, which a
# static binary cannot load, out of it. CGO_ENABLED=0 builds a plain Go binary instead.
STATIC_TAGS    := $(if $(filter 1,$(CGO_ENABLED)),netgo osusergo)
STATIC_LDFLAGS := $(if $(filter 1,$(CGO_ENABLED)),-linkmode external -extldflags "-static")

# contain embeds the container's init as a binary of its own (libcontain/initexe): built first,
# without cgo (no libc to start: its init costs 0.5 ms of cpuid on this VM) and stripped, then
# embedded with its sha256 by the containinit tag. A build without the tag (plain go build) starts
# contain itself as init.
INIT_BIN := libcontain/initexe/contain-init

init-binary:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w' -o $(INIT_BIN) ./libcontain/initexe/cmd
	sha256sum $(INIT_BIN) | cut -d' ' -f1 | tr -d '\n' > $(INIT_BIN).sum

# The C library linked in is musl where musl-gcc is installed (tests/deps.sh installs musl-tools),
# glibc otherwise. A static glibc's start asks the CPU for its cache sizes, ~40 cpuid instructions,
# each of which traps to the hypervisor in a VM (13 us in this nested one): about 1 ms of every
# contain command here (`contain --version` 4.1 -> 3.1 ms). musl's start asks nothing. musl has
# no kernel headers and no libseccomp of its own: build/musl/include links the system's kernel
# headers and copies libseccomp's, build/musl/lib holds a copy of Debian's libseccomp.a (built
# against glibc; the one glibc-only symbol it needs, libcontain/libcshim provides), and a
# pkg-config file of build/musl's own points libseccomp-golang there.
MUSL_GCC := $(shell command -v musl-gcc 2>/dev/null)
MUSL_DIR := $(CURDIR)/build/musl
LIBC_ENV  := $(if $(and $(MUSL_GCC),$(filter 1,$(CGO_ENABLED))),CC=musl-gcc CGO_CFLAGS='-O2 -g -I$(MUSL_DIR)/include' PKG_CONFIG_LIBDIR=$(MUSL_DIR)/pkgconfig PKG_CONFIG_PATH=)
LIBC_DEPS := $(if $(LIBC_ENV),musl-env)

musl-env:
	@mkdir -p $(MUSL_DIR)/include $(MUSL_DIR)/lib $(MUSL_DIR)/pkgconfig
	@for d in linux asm-generic "$$(gcc -print-multiarch)/asm"; do ln -sfn /usr/include/$$d $(MUSL_DIR)/include/$$(basename $$d); done
	@cp /usr/include/seccomp.h /usr/include/seccomp-syscalls.h $(MUSL_DIR)/include/
	@cp "$$(gcc -print-file-name=libseccomp.a)" $(MUSL_DIR)/lib/
	@printf 'Name: libseccomp\nDescription: libseccomp, linked with musl\nVersion: %s\nCflags: -I%s/include\nLibs: -L%s/lib -lseccomp\n' \
		"$$(pkg-config --modversion libseccomp)" $(MUSL_DIR) $(MUSL_DIR) > $(MUSL_DIR)/pkgconfig/libseccomp.pc

# contain is built without the sandbox server (tag noserve: no net/http, crypto/tls and their
# package initialisers in every command), and contain-serve, the whole program, beside it:
# `contain serve` runs contain-serve (serve_exec.go).
build: init-binary $(LIBC_DEPS)
	$(LIBC_ENV) CGO_ENABLED=$(CGO_ENABLED) $(GO) build -trimpath -tags '$(GOTAGS) $(STATIC_TAGS) containinit noserve' \
		-ldflags '$(LDFLAGS) $(STATIC_LDFLAGS)' -o $(BINARY) .
	$(LIBC_ENV) CGO_ENABLED=$(CGO_ENABLED) $(GO) build -trimpath -tags '$(GOTAGS) $(STATIC_TAGS) containinit' \
		-ldflags '$(LDFLAGS) $(STATIC_LDFLAGS)' -o $(SERVE_BINARY) .

# The same static build under build/, for the cgroup v2 VM guest (tests/vm).
build-static: init-binary $(LIBC_DEPS)
	$(LIBC_ENV) CGO_ENABLED=1 $(GO) build -trimpath -tags '$(GOTAGS) netgo osusergo containinit' \
		-ldflags '$(LDFLAGS) -linkmode external -extldflags "-static"' -o $(CURDIR)/build/contain-static .

rootfs:
	bash tests/rootfs/build.sh $(ROOTFS)

# The contract is current runc, not Debian's: parity tests run against this build as well as
# against contain. go install caches it in tests/.cache/ref (a rebuild is a copy).
REF_RUNC_VERSION ?= v1.5.3
REF_RUNC         := $(CURDIR)/build/ref/runc
ref-runc: $(REF_RUNC)
$(REF_RUNC):
	@mkdir -p $(CURDIR)/tests/.cache/ref/$(REF_RUNC_VERSION) $(dir $(REF_RUNC))
	@[ -x $(CURDIR)/tests/.cache/ref/$(REF_RUNC_VERSION)/runc ] || \
		GOBIN=$(CURDIR)/tests/.cache/ref/$(REF_RUNC_VERSION) GOTOOLCHAIN=local CGO_ENABLED=1 GOEXPERIMENT= \
		$(GO) install -tags seccomp github.com/opencontainers/runc@$(REF_RUNC_VERSION)
	cp $(CURDIR)/tests/.cache/ref/$(REF_RUNC_VERSION)/runc $(REF_RUNC)
	@$(REF_RUNC) --version | head -n 1

# Every suite runs even when an earlier one failed; the summary names the ones that failed and
# the exit status is non-zero if any did.
test:
	@failed=""; \
	$(MAKE) --no-print-directory build rootfs || failed="$$failed build"; \
	if [ -z "$$failed" ]; then \
		$(MAKE) --no-print-directory test-unit || failed="$$failed unit"; \
		$(MAKE) --no-print-directory test-e2e  || failed="$$failed e2e"; \
		$(MAKE) --no-print-directory test-bats || failed="$$failed bats"; \
		$(MAKE) --no-print-directory test-vm-harness || failed="$$failed vm-harness"; \
	fi; \
	echo "======================================================================"; \
	if [ -n "$$failed" ]; then \
		echo "make test: FAIL ($${failed# })"; exit 1; \
	else \
		echo "make test: PASS (unit, e2e, bats, vm-harness)"; \
	fi

test-unit:
	CGO_ENABLED=$(CGO_ENABLED) $(GO) test $(GOTESTFLAGS) $$($(GO) list ./... | grep -v -E '/tests/(e2e|interactive)$$')

# -count=1: the test cache cannot see that ./contain changed.
# The serve load test writes its p50/p99 line to build/serve-load.txt; it is shown here.
test-e2e: build
	@rm -f build/serve-load.txt
	CONTAIN_BINARY=$(BINARY) $(GO) test -count=1 $(GOTESTFLAGS) ./tests/e2e/ ./tests/interactive/
	@cat build/serve-load.txt 2>/dev/null || true

test-bats: build rootfs
	RUNTIME=$(BINARY) ROOTFS=$(ROOTFS) $(BATS) tests/integration

# tests/vm/accel.sh (how the VM harnesses pick kvm or tcg) against a stub qemu, and make fuzz's
# runner (tests/fuzz/run.sh) against a stub go: no root, no kernel.
test-vm-harness:
	$(BATS) tests/vm/accel.bats tests/fuzz/run.bats

# Parity tests state how runc behaves: e2e tests named TestParity* and bats tests tagged
# `# bats test_tags=parity` (or file_tags). test-e2e and test-bats run them against contain with
# everything else; this runs them against the reference runc, so a parity test that contain passes
# and runc fails is caught. PARITY_RUNTIME points them at another runtime.
PARITY_RUNTIME ?= $(REF_RUNC)
test-parity: rootfs $(REF_RUNC)
	CONTAIN_BINARY=$(PARITY_RUNTIME) $(GO) test -count=1 $(GOTESTFLAGS) -run '^TestParity' ./tests/e2e/
	RUNTIME=$(PARITY_RUNTIME) ROOTFS=$(ROOTFS) $(BATS) --filter-tags parity tests/integration

# Real engines: a private containerd and a private podman configuration drive ./contain (or
# RUNTIME) with no wrapper, on a busybox image built from build/rootfs.
test-clients: build rootfs
	RUNTIME=$(RUNTIME) ROOTFS=$(ROOTFS) $(BATS) tests/clients

# Kubernetes' path: a private containerd with its CRI plugin runs pods through the runtime
# handlers contain (./contain) and runc (the reference runc), driven by a Go CRI client playing
# the kubelet (tests/cri, a module of its own). Prints a side-by-side table and the timings.
test-cri: build rootfs ref-runc
	CONTAIN_BINARY=$(BINARY) RUNC_BINARY=$(REF_RUNC) ROOTFS=$(ROOTFS) bash tests/cri/run.sh

bench-clients: build rootfs
	ROOTFS=$(ROOTFS) bash tests/clients/bench.sh $(BINARY) $$(command -v $(RUNC))

# cgroup v2 coverage: the cgroup e2e tests and tests/e2e/v2_test.go, run against a static contain
# in Debian's 6.1 kernel booted with cgroup v2 only (qemu, tests/vm). Exit status is run.sh's.
test-v2:
	bash tests/vm/payload.sh $(CURDIR)/build/vm-payload
	VM_TIMEOUT=$${VM_TIMEOUT:-960} bash tests/vm/run.sh $(CURDIR)/build/vm-payload

# systemd as PID 1 (tests/vm/systemd): the systemd cgroup driver's tests, root podman with
# cgroup_manager = "systemd" and a rootless user, in a Debian 12 VM built from Debian's packages
# (cached in tests/.cache/vm, or VM_CACHE_DIR). Exit status is run.sh's.
test-systemd:
	bash tests/vm/systemd/payload.sh $(CURDIR)/build/systemd-payload
	VM_TIMEOUT=$${VM_TIMEOUT:-900} bash tests/vm/systemd/run.sh $(CURDIR)/build/systemd-payload

# The OCI runtime-tools validation suite (pinned in tests/validation/run.sh), judged against the
# ratchet tests/validation/expected-pass.txt. `make validation RUNTIME=/usr/sbin/runc` for runc.
RUNTIME ?= $(BINARY)
validation: build
	bash tests/validation/run.sh --runtime $(RUNTIME) --suite-bug-pass --ratchet

# Static checks of the whole tree (tests/lint.sh): the Go linters are pinned there and installed
# with go install into ~/.cache/contain/lint; shellcheck and clang-format come from `make deps`.
lint:
	bash tests/lint.sh

# contrib/man/*.8 are rendered from the command table by manpage_test.go; its TestManPages (in
# test-unit, so in CI) fails when they no longer match the flags.
man:
	CONTAIN_UPDATE_MAN=1 $(GO) test -count=1 -run '^TestManPages$$' .

# One `go test -fuzz` per target (-fuzz accepts a single target per package run); every target
# runs, then the failed ones are named. A bare "context deadline exceeded" without an input is
# Go 1.26's fuzzing coordinator racing -fuzztime (golang/go#75804): tests/fuzz/run.sh runs that
# target once more.
fuzz:
	@GO=$(GO) bash tests/fuzz/run.sh $(FUZZTIME)

# BENCH_RUNC: the runc to compare with (the reference runc unless given).
BENCH_RUNC ?= $(REF_RUNC)
bench: build rootfs $(if $(filter $(REF_RUNC),$(BENCH_RUNC)),ref-runc)
	RUNC=$(BENCH_RUNC) bash tests/bench/run.sh $(BINARY) $(ROOTFS) build/bench

install: build
	install -D -m 0755 $(BINARY) $(DESTDIR)$(BINDIR)/contain
	install -D -m 0755 $(SERVE_BINARY) $(DESTDIR)$(BINDIR)/contain-serve
	install -d $(DESTDIR)$(MANDIR)/man8
	install -m 0644 contrib/man/*.8 $(DESTDIR)$(MANDIR)/man8/

clean:
	rm -f $(BINARY) $(SERVE_BINARY) $(INIT_BIN) $(INIT_BIN).sum
	rm -rf build

# Issue 16: create/start/delete cycles with kill -9 of runtime processes or init at random points;
# delete --force must recover each, and the closing line counts leaks (must be 0). Heavy: run it
# as `flock /work/heavy.lock make stress` on a shared machine. CI runs a smaller one.
STRESS_CYCLES ?= 1000
STRESS_KILLS  ?= 100
.PHONY: stress
stress: build rootfs
	$(GO) run ./tests/stress -binary $(BINARY) -rootfs $(ROOTFS) -cycles $(STRESS_CYCLES) -kills $(STRESS_KILLS)
