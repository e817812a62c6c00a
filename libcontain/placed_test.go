package libcontain

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/cgroups"
	"github.com/contain-runtime/contain/tests/needs"
)

// placedHelperEnv makes the test binary the helper of TestStartPlacedV1: it places a `sleep` in
// the cgroup the variable names, prints the sleep's pid and waits for stdin to close.
const placedHelperEnv = "CONTAIN_TEST_PLACED_CGROUP"

// startPlaced on v1: the child starts in the container's cgroup in every hierarchy, and the
// thread that forked it is gone afterwards, so the runtime's process never shows up in the
// container's cgroup (a foreground `run` would otherwise be killed by a kill --all of its own
// container). The runtime is a helper process, so that a thread left behind is killed with it
// and the cgroup can always be removed.
func TestStartPlacedV1(t *testing.T) {
	if name := os.Getenv(placedHelperEnv); name != "" {
		placedHelper(name)
		return
	}
	needs.Root(t)
	needs.CgroupV1(t)
	rnd := make([]byte, 6)
	_, _ = rand.Read(rnd)
	name := "contain-test-" + hex.EncodeToString(rnd)
	m, err := cgroups.New(cgroups.Config{Path: name, ID: "unused"})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = m.KillAll(unix.SIGKILL)
		if err := m.Destroy(); err != nil {
			t.Error(err)
		}
	})
	helper := exec.Command(os.Args[0], "-test.run=^TestStartPlacedV1$")
	helper.Env = append(os.Environ(), placedHelperEnv+"="+name)
	helper.Stderr = os.Stderr
	stdin, err := helper.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); _ = helper.Process.Kill(); _ = helper.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("helper: %v", err)
	}
	child, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(line), "placed "))
	if err != nil {
		t.Fatalf("helper said %q", line)
	}
	own, err := os.ReadFile("/proc/" + strconv.Itoa(child) + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := cgroups.ParseProcCgroup(own)
	if err != nil {
		t.Fatal(err)
	}
	for ctrl, dir := range m.Paths() {
		var got string
		for _, e := range entries {
			if slices.Contains(e.Controllers, ctrl) {
				got = e.Path
			}
		}
		if got == "/" || !strings.HasSuffix(dir, got) {
			t.Errorf("%s: child is in %q, want %s", ctrl, got, dir)
		}
	}
	// Checked once, at once: the helper waited for startPlaced's channel (the thread is gone).
	runtimePid := strconv.Itoa(helper.Process.Pid)
	for _, dir := range m.Paths() {
		b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(strings.Fields(string(b)), runtimePid) {
			t.Errorf("the runtime's process is still in %s after startPlaced returned", dir)
		}
	}
}

func placedHelper(name string) {
	fail := func(err error) { fmt.Fprintln(os.Stderr, "placed helper:", err); os.Exit(1) }
	m, err := cgroups.New(cgroups.Config{Path: name, ID: "unused"})
	if err != nil {
		fail(err)
	}
	placer, ok := m.(cgroups.ThreadJoiner)
	if !ok {
		fail(fmt.Errorf("the v1 driver does not place threads"))
	}
	cmd := exec.Command("sleep", "100")
	gone, err := startPlaced(cmd, placer, nil, nil)
	if err != nil {
		fail(err)
	}
	<-gone
	fmt.Printf("placed %d\n", cmd.Process.Pid)
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	os.Exit(0)
}
