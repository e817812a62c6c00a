package main

import (
	"bytes"
	"flag"
	"io"
	"os"
	"regexp"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/contain-runtime/contain/libcontain"
)

// TestContribSnippetsMatchTheRuntime: the client snippets in contrib/ agree with what this build
// says about the systemd cgroup driver, both to the command line (is --systemd-cgroup accepted)
// and to clients (features' linux.cgroup.systemd). With the driver, podman must keep its own
// default (cgroup_manager = "systemd" on systemd hosts, which passes --systemd-cgroup), not be
// pinned to cgroupfs; without it, containerd's SystemdCgroup must be false and podman must be
// told cgroupfs. containerd's snippet always says which it is (make test-cri uses it as it is).
func TestContribSnippetsMatchTheRuntime(t *testing.T) {
	supported := systemdCgroupAccepted(t)
	if f := libcontain.Features().Linux.Cgroup.Systemd; f == nil || *f != supported {
		t.Fatalf("features' linux.cgroup.systemd disagrees with the flag check (--systemd-cgroup accepted: %v)", supported)
	}

	containerd := readContrib(t, "contrib/containerd/config.toml.snippet")
	systemdTrue := regexp.MustCompile(`(?m)^\s*SystemdCgroup\s*=\s*true\s*$`).Match(containerd)
	if !supported && systemdTrue {
		t.Error("contrib/containerd recommends SystemdCgroup = true, but contain refuses --systemd-cgroup")
	}
	if !regexp.MustCompile(`(?m)^\s*SystemdCgroup\s*=\s*(true|false)\s*$`).Match(containerd) {
		t.Error("contrib/containerd sets no SystemdCgroup: the runc shim's default is false, say so")
	}

	podman := readContrib(t, "contrib/podman/containers.conf.snippet")
	cgroupfs := regexp.MustCompile(`(?m)^\s*cgroup_manager\s*=\s*"cgroupfs"\s*$`).Match(podman)
	if !supported && !cgroupfs {
		t.Error(`contrib/podman lacks cgroup_manager = "cgroupfs", but contain refuses --systemd-cgroup`)
	}
	if supported && cgroupfs {
		t.Error(`contrib/podman pins cgroup_manager = "cgroupfs", but contain has the systemd driver podman uses by default`)
	}
	if supported && !regexp.MustCompile(`(?m)^#?\s*cgroup_manager\s*=\s*"systemd"\s*$`).Match(podman) {
		t.Error(`contrib/podman does not say cgroup_manager = "systemd" is the one to keep`)
	}
}

// systemdCgroupAccepted asks the global flag check about --systemd-cgroup without running a
// command (running one would add urfave's help flag to the shared command table, which the man
// page test reads).
func systemdCgroupAccepted(t *testing.T) bool {
	t.Helper()
	app := newApp(io.Discard)
	set := flag.NewFlagSet("contain", flag.ContinueOnError)
	for _, f := range app.Flags {
		if err := f.Apply(set); err != nil {
			t.Fatal(err)
		}
	}
	if err := set.Parse([]string{"--systemd-cgroup"}); err != nil {
		t.Fatal(err)
	}
	return checkGlobalFlags(cli.NewContext(app, set, nil)) == nil
}

func readContrib(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
}
