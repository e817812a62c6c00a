//go:build linux

// Package cri is the Kubernetes path end to end: a private containerd 1.6 with its CRI plugin on
// runs pods through two runtime handlers, contain and runc (io.containerd.runc.v2 with
// BinaryName), and these tests play the kubelet's part over k8s.io/cri-api. Every case runs with
// both handlers, so a case that passes with runc and fails with contain is contain's bug; TestMain
// prints the side-by-side table and the startup timings when the run ends.
//
// The suite runs in a network namespace of its own (TestMain re-executes the test binary with
// CLONE_NEWNET): containerd, its shims and the CNI bridge live there, and the host's network is
// never touched. "Host network" pods therefore share the suite's namespace, which is the host
// from containerd's point of view.
//
// Environment (all optional; `make test-cri` sets them):
//
//	CONTAIN_BINARY  handler contain's BinaryName (default: ../../contain)
//	RUNC_BINARY     handler runc's BinaryName (default: ../../build/ref/runc, else the shim's
//	                default lookup of "runc" in PATH, which is Debian's /usr/sbin/runc)
//	ROOTFS          the busybox rootfs the test image is made of (default: ../../build/rootfs)
//	CNI_BIN_DIR     the CNI plugins (default: /usr/lib/cni, Debian's containernetworking-plugins)
package cri

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
)

// inNetnsEnv marks the re-executed test binary that already runs in the suite's network namespace.
const inNetnsEnv = "CONTAIN_CRI_IN_NETNS"

// suite is the running containerd and its clients, set once by TestMain before any test runs.
var suite *criSuite

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "cri: needs root (uid 0): containerd creates namespaces, mounts and cgroups")
		return 1
	}
	if os.Getenv(inNetnsEnv) == "" {
		return reexecInNetns()
	}
	if err := loopbackUp(); err != nil {
		fmt.Fprintf(os.Stderr, "cri: %v\n", err)
		return 1
	}
	cfg, err := configFromEnv()
	if err != nil {
		fmt.Fprintf(os.Stderr, "cri: %v\n", err)
		return 1
	}
	s, err := startSuite(cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "cri: %v\n", err)
		if s != nil {
			s.stop()
		}
		return 1
	}
	suite = s
	code := m.Run()
	leftovers := s.stop()
	s.report.print(os.Stdout, s.handlers)
	for _, l := range leftovers {
		fmt.Fprintf(os.Stdout, "cri: left behind after the run: %s\n", l)
	}
	if len(leftovers) > 0 && code == 0 {
		code = 1
	}
	return code
}

// reexecInNetns runs this test binary again, with the same arguments, in a new network
// namespace, and returns its exit status.
func reexecInNetns() int {
	cmd := exec.Command("/proc/self/exe", os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), inNetnsEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		fmt.Fprintf(os.Stderr, "cri: run the suite in a network namespace of its own: %v\n", err)
		return 1
	}
	return 0
}

// loopbackUp sets lo up in the new network namespace (it starts down): the CRI streaming server
// listens on 127.0.0.1.
func loopbackUp() error {
	if out, err := exec.Command("ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		return fmt.Errorf("set lo up (ip from iproute2): %w: %s", err, out)
	}
	return nil
}
