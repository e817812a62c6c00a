#!/bin/bash
# run.sh — `make test-cri`: Kubernetes' path to the runtime. A private containerd with its CRI
# plugin on runs pods through the runtime handlers contain and runc, driven by this directory's
# Go test client (a module of its own: k8s.io/cri-api and grpc stay out of contain's go.mod).
#
# Installs what it needs and is missing (containerd, Debian's CNI plugins, iproute2, a C compiler
# for the pause program), compiles the client while the network is there, then runs it: the test
# binary moves itself into a network namespace of its own, so the CNI bridge never touches the
# host's.
#
# Environment: CONTAIN_BINARY, RUNC_BINARY, ROOTFS (see main_test.go); CRI_RUN narrows to the
# tests matching a -test.run pattern; CRI_TIMING_ROUNDS sets the startup timing rounds.
set -euo pipefail
cd "$(dirname "$0")"

[[ $(id -u) == 0 ]] || { echo "test-cri: must run as root (containerd, namespaces, cgroups)" >&2; exit 1; }

../deps.sh containerd containernetworking-plugins iproute2 tar gcc libc6-dev

export GOTOOLCHAIN=local
bin=../../build/cri
mkdir -p "$bin"
go test -c -o "$bin/cri.test" . </dev/null

args=(-test.v -test.count=1 -test.timeout=45m)
[[ -n ${CRI_RUN:-} ]] && args+=(-test.run "$CRI_RUN")
exec "$bin/cri.test" "${args[@]}" </dev/null
