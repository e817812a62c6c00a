#!/usr/bin/env bash
# `make lint`: the static checks CI runs over the whole tree. Every check runs, then the failed
# ones are named; the exit status is 1 if any failed.
#
#   - gofmt: every Go file formatted
#   - go vet: the standard analyzers
#   - staticcheck (honnef.co/go/tools): unused code, deprecated APIs, bugs
#   - errorlint (github.com/polyfloyd/go-errorlint): errors compared with == or type-asserted
#     instead of errors.Is/As, and fmt.Errorf that drops the wrap (%v for an error)
#   - ShellCheck: every shell script git tracks (*.sh, *.bash, *.bats, sh/bash shebangs)
#   - clang-format: the C (libcontain/nsenter, prefault, timerslack, libcshim) against .clang-format
#   - generated JSON codecs (spec/specjson, libcontain/internal/protocol, state): what `go generate`
#     writes now
#
# staticcheck and errorlint are pinned below and built once with `go install` from the module
# proxy into LINT_CACHE (default ~/.cache/contain/lint, kept across fresh clones); shellcheck
# and clang-format come from apt (tests/deps.sh).
set -uo pipefail

STATICCHECK=honnef.co/go/tools/cmd/staticcheck@v0.8.2 # 2026.2.2
ERRORLINT=github.com/polyfloyd/go-errorlint@v1.8.0

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
cache=${LINT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/contain/lint}
failed=()

log() { echo "lint: $*" >&2; }

# tool PKG@VERSION: the path of the installed binary, installing it first when missing.
tool() {
	local pkg=$1 dir bin
	dir=$cache/$(echo "${pkg%@*}" | tr / _)@${pkg#*@}
	bin=$dir/$(basename "${pkg%@*}")
	if [[ ! -x $bin ]]; then
		log "installing $pkg into $dir"
		# From /, so that nothing reads or touches this module's go.mod.
		(cd / && GOBIN=$dir GOTOOLCHAIN=local GOFLAGS='' go install "$pkg") >&2 || return 1
	fi
	echo "$bin"
}

# check NAME CMD...: run one check; a failure is remembered, never fatal.
check() {
	local name=$1
	shift
	log "$name"
	if ! "$@"; then
		failed+=("$name")
	fi
}

gofmt_clean() {
	local out
	local -a files
	mapfile -t files < <(git ls-files '*.go')
	out=$(gofmt -l "${files[@]}")
	[[ -z $out ]] && return 0
	echo "not gofmt'ed (gofmt -w FILE):" >&2
	echo "$out" >&2
	return 1
}

go_tool() {
	local bin
	bin=$(tool "$1") || return 1
	shift
	"$bin" "$@" ./...
}

# shell_scripts: the tracked files shellcheck should read, one a line.
shell_scripts() {
	local f
	git ls-files | while read -r f; do
		[[ -f $f ]] || continue
		case $f in
		*.sh | *.bash | *.bats) echo "$f" ;;
		*) head -n 1 "$f" | grep -qE '^#!.*\b(ba)?sh\b|^#!.*\bbats\b' && echo "$f" ;;
		esac
	done
}

shellcheck_all() {
	command -v shellcheck >/dev/null || {
		echo "no shellcheck: make deps" >&2
		return 1
	}
	local -a scripts bats=() others=()
	mapfile -t scripts < <(shell_scripts)
	local f
	for f in "${scripts[@]}"; do
		if [[ $f == *.bats ]]; then bats+=("$f"); else others+=("$f"); fi
	done
	local rc=0
	shellcheck -x "${others[@]}" || rc=1
	# bats runs each @test in a subshell: a variable set in one is local to it by design.
	shellcheck -x -e SC2030,SC2031 "${bats[@]}" || rc=1
	return "$rc"
}

clang_format_check() {
	command -v clang-format >/dev/null || {
		echo "no clang-format: make deps" >&2
		return 1
	}
	local -a files
	mapfile -t files < <(git ls-files '*.[ch]')
	clang-format --dry-run --Werror "${files[@]}"
}

# generated_current: each jsongen generator, run with -check in its package's dir as `go
# generate` runs it.
generated_current() {
	local rc=0
	(cd spec/specjson && GOEXPERIMENT=jsonv2 go run ./gen -check spec_gen.go) || rc=1
	(cd libcontain/internal/protocol && GOEXPERIMENT=jsonv2 go run -tags jsongen ./gen -check config_gen.go) || rc=1
	(cd state && GOEXPERIMENT=jsonv2 go run -tags jsongen ./gen -check state_gen.go) || rc=1
	return "$rc"
}

command -v go >/dev/null || {
	log "no go on PATH"
	exit 1
}
git rev-parse --git-dir >/dev/null 2>&1 || {
	log "needs a git checkout: it checks the files git tracks"
	exit 1
}
check gofmt gofmt_clean
check "go vet" go vet ./...
# contain's own build leaves the sandbox server out (Makefile, serve_exec.go).
check "go vet noserve" go vet -tags noserve .
check staticcheck go_tool "$STATICCHECK"
check errorlint go_tool "$ERRORLINT"
check shellcheck shellcheck_all
check clang-format clang_format_check
check "generated code" generated_current

if ((${#failed[@]})); then
	echo "make lint: FAIL (${failed[*]})"
	exit 1
fi
echo "make lint: PASS (gofmt, go vet, go vet noserve, staticcheck, errorlint, shellcheck, clang-format, generated code)"
