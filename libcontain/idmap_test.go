package libcontain

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestJoinHeldUserns(t *testing.T) {
	h := &usernsHolder{cmd: &exec.Cmd{Process: &os.Process{Pid: 4242}}}
	req, err := joinHeldUserns(h, unix.CLONE_NEWUSER|unix.CLONE_NEWNS|unix.CLONE_NEWPID|unix.CLONE_NEWNET|unix.CLONE_NEWUTS)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(req.Namespaces); got != "[{user /proc/4242/ns/user}]" {
		t.Errorf("joins %s", got)
	}
	if got := fmt.Sprint(req.Unshare); got != "[mount pid network uts]" {
		t.Errorf("unshares %s", got)
	}
	if _, err := joinHeldUserns(h, unix.CLONE_NEWUSER|unix.CLONE_NEWTIME); err == nil {
		t.Error("a new time namespace accepted")
	}
}

func TestNeedsIDHelpers(t *testing.T) {
	own := func(id int) []specs.LinuxIDMapping {
		return []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(id), Size: 1}}
	}
	ranges := append(own(os.Geteuid()), specs.LinuxIDMapping{ContainerID: 1, HostID: 100000, Size: 65536})
	if os.Geteuid() == 0 {
		if needsIDHelpers(ranges, ranges) {
			t.Error("root writes any maps itself")
		}
		return
	}
	if needsIDHelpers(own(os.Geteuid()), own(os.Getegid())) {
		t.Error("the caller's own ids need no helper")
	}
	if !needsIDHelpers(ranges, own(os.Getegid())) || !needsIDHelpers(own(os.Geteuid()), own(os.Getegid()+1)) {
		t.Error("ranges or someone else's id need newuidmap/newgidmap")
	}
}
