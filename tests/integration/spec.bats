#!/usr/bin/env bats
# spec: writes a default config.json in the current directory.

load helpers

setup() {
	[[ -x $RUNTIME ]] || fail "no runtime at $RUNTIME"
	cd "$BATS_TEST_TMPDIR" || fail "cd $BATS_TEST_TMPDIR"
}

@test "spec writes a valid config.json" {
	run "$RUNTIME" spec
	[ "$status" -eq 0 ]
	[ -f config.json ]
	run python3 -c '
import json
c = json.load(open("config.json"))
assert c["ociVersion"], "no ociVersion"
assert c["root"]["path"] == "rootfs", c["root"]
assert c["process"]["args"], "no process args"
assert c["process"]["cwd"] == "/", c["process"]["cwd"]
ns = {n["type"] for n in c["linux"]["namespaces"]}
assert {"pid", "mount", "ipc", "uts", "network"} <= ns, ns
assert any(m["destination"] == "/proc" for m in c["mounts"]), "no /proc mount"
'
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "spec refuses to overwrite an existing config.json" {
	echo '{"keep": true}' >config.json
	run "$RUNTIME" spec
	echo "$output"
	[ "$status" -ne 0 ]
	[ "$(cat config.json)" = '{"keep": true}' ]
}

@test "a spec bundle with edited args runs" {
	setup_bundle
	set_args echo hello
	run_runtime run "$(rand_name bats-)"
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
}

teardown() {
	teardown_bundle
}
