package timerslack

import (
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func threadSlack(t *testing.T) uint64 {
	t.Helper()
	v, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return uint64(v)
}

// TestStartWith: the child starts with the slack asked for, and the starting thread's own
// slack is what it was before.
func TestStartWith(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	own := threadSlack(t)
	defer func() { _ = Restore(own) }()
	if err := Restore(3_000_000); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	cmd := exec.Command("cat", "/proc/self/timerslack_ns")
	cmd.Stdout = &out
	if err := StartWith(61_000, cmd.Start); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(out.String()); got != strconv.Itoa(61_000) {
		t.Errorf("child's slack %s, want 61000", got)
	}
	if got := threadSlack(t); got != 3_000_000 {
		t.Errorf("thread's slack after StartWith %d, want it back at 3000000", got)
	}
}

// TestStartWithZero changes nothing.
func TestStartWithZero(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	own := threadSlack(t)
	var out strings.Builder
	cmd := exec.Command("cat", "/proc/self/timerslack_ns")
	cmd.Stdout = &out
	if err := StartWith(0, cmd.Run); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(out.String()); got != strconv.FormatUint(own, 10) {
		t.Errorf("child's slack %s, want the thread's %d", got, own)
	}
}

// TestCallerRaised: the test binary links the constructor (cgo), so its own slack is raised and
// Caller holds the smaller one it had.
func TestCallerRaised(t *testing.T) {
	c := Caller()
	if c == 0 {
		t.Skip("the caller's slack was 1 ms or more already, or 0: the constructor left it")
	}
	if got := threadSlack(t); got != 1_000_000 || c >= got {
		t.Errorf("thread's slack %d (caller's %d), want 1000000 over the caller's", got, c)
	}
}
