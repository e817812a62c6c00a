package main

import (
	"bytes"
	"io"
	"os"
	"regexp"
	"testing"
)

// TestContribSnippetsMatchTheRuntime: the client snippets in contrib/ ask only for what this
// build supports. Today that means no systemd cgroup driver: containerd's SystemdCgroup must be
// false and podman must be told cgroupfs (its default on systemd hosts is systemd, for which it
// passes --systemd-cgroup). When the driver lands, this fails until the snippets say so.
func TestContribSnippetsMatchTheRuntime(t *testing.T) {
	app := newApp(io.Discard)
	app.Writer = io.Discard
	systemdRefused := app.Run([]string{"contain", "--systemd-cgroup", "features"}) != nil

	containerd := readContrib(t, "contrib/containerd/config.toml.snippet")
	systemdTrue := regexp.MustCompile(`(?m)^\s*SystemdCgroup\s*=\s*true\s*$`).Match(containerd)
	if systemdRefused && systemdTrue {
		t.Error("contrib/containerd recommends SystemdCgroup = true, but contain refuses --systemd-cgroup")
	}
	if !regexp.MustCompile(`(?m)^\s*SystemdCgroup\s*=\s*(true|false)\s*$`).Match(containerd) {
		t.Error("contrib/containerd sets no SystemdCgroup: the runc shim's default is false, say so")
	}

	podman := readContrib(t, "contrib/podman/containers.conf.snippet")
	cgroupfs := regexp.MustCompile(`(?m)^cgroup_manager\s*=\s*"cgroupfs"\s*$`).Match(podman)
	if systemdRefused && !cgroupfs {
		t.Error(`contrib/podman lacks cgroup_manager = "cgroupfs", but contain refuses --systemd-cgroup`)
	}
}

func readContrib(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
}
