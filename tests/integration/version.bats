#!/usr/bin/env bats
# --version and features.

load helpers

setup() {
	[[ -x $RUNTIME ]] || fail "no runtime at $RUNTIME"
}

@test "--version prints the name and version on the first line" {
	run "$RUNTIME" --version
	echo "$output"
	[ "$status" -eq 0 ]
	[[ ${lines[0]} =~ ^[a-z]+\ version\ [0-9] ]]
	[[ $output == *"spec: "* ]]
	if [[ $RUNTIME_NAME == contain ]]; then
		[ "${lines[0]}" = "contain version $(cat "$REPO_DIR/VERSION")" ]
		[[ $output == *"commit: "* ]]
	fi
}

@test "features prints JSON with the OCI version range" {
	run "$RUNTIME" features
	echo "$output"
	[ "$status" -eq 0 ]
	run python3 -c '
import json, sys
f = json.loads(sys.argv[1])
assert f["ociVersionMin"] and f["ociVersionMax"], f
assert "pid" in f["linux"]["namespaces"], f["linux"]
assert "createRuntime" in f["hooks"], f.get("hooks")
' "$output"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "an unknown command fails" {
	run "$RUNTIME" no-such-command
	[ "$status" -ne 0 ]
}
