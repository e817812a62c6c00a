#!/bin/bash
# Installs (apt) what building and testing contain needs, only what is missing, so a second run
# is quick. Used by `make deps` and by .ci/run.
#   busybox-static: the test rootfs (tests/rootfs/build.sh); bats: tests/integration;
#   python3: JSON edits in the bats helpers; gcc + libc6-dev: cgo (libcontain/nsenter);
#   musl-tools: the C library contain links (the Makefile says why; glibc without it);
#   libseccomp-dev + pkg-config: libcontain/seccomp compiles filters with libseccomp;
#   runc: tests compare against what runc writes; git: the commit stamped into --version;
#   hyperfine and gnuplot-nox: `make bench` (its table, and its chart: bench.png); tmux: the
#   interactive quick-mode test;
#   containerd podman conmon umoci bsdutils util-linux: `make test-clients` (script, findmnt);
#   ShellCheck and clang-format: `make lint`;
#   uidmap: newuidmap/newgidmap for the rootless tests' subordinate id ranges;
#   chromium (optional): the browser test of `contain serve`'s page, which skips, saying so,
#   when it cannot be installed.
#   With arguments, installs those packages instead, and nothing optional (a suite's own needs:
#   tests/cri/run.sh).
set -euo pipefail
[[ $(id -u) == 0 ]] || { echo "deps: run as root (apt-get)" >&2; exit 1; }
packages=(busybox-static bats python3 gcc libc6-dev musl-tools make git runc ca-certificates libseccomp-dev pkg-config hyperfine gnuplot-nox tmux containerd podman conmon umoci bsdutils util-linux shellcheck clang-format uidmap)
# Optional: a failed install only costs the browser test, which then skips with the reason.
browser=(chromium fonts-dejavu-core)
if (($#)); then
	packages=("$@")
	browser=()
fi

# absent prints those of its arguments that are not installed, one a line.
absent() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
	done
}

install() {
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq </dev/null && apt-get install -y -qq --no-install-recommends "$@" </dev/null
}

mapfile -t missing < <(absent "${packages[@]}")
if ((${#missing[@]})); then
	echo "deps: installing ${missing[*]}"
	install "${missing[@]}"
else
	echo "deps: packages present"
fi

mapfile -t missing < <(absent "${browser[@]}")
if ((${#missing[@]})); then
	echo "deps: installing ${missing[*]} (optional: the serve page's browser test)"
	install "${missing[@]}" || echo "deps: could not install ${missing[*]}: the browser test will skip" >&2
fi
