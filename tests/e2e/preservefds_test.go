//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// preservedFiles makes, in the test's dir, a file to read (fd 3 of the runtime) and one to
// write (fd 4), and returns them open.
func preservedFiles(t *testing.T, in string) (read, write *os.File) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in"), []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	read, err := os.Open(filepath.Join(dir, "in"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { read.Close() })
	write, err = os.Create(filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { write.Close() })
	return read, write
}

// containerFds lists the fds `ls -l /proc/self/fd` shows, but for ls's own directory fd.
func containerFds(t *testing.T, lsOut string) []string {
	t.Helper()
	fdLine := regexp.MustCompile(`\s([0-9]+) -> (.*)$`)
	var fds []string
	for _, line := range strings.Split(lsOut, "\n") {
		m := fdLine.FindStringSubmatch(line)
		if m == nil || regexp.MustCompile(`^/proc/[0-9]+/fd$`).MatchString(m[2]) {
			continue
		}
		fds = append(fds, m[1]+" -> "+m[2])
	}
	return fds
}

// TestPreserveFds: --preserve-fds N hands the runtime's fds 3..3+N-1 to the container's process
// as they are (podman passes sockets this way), and nothing else beyond stdio.
func TestPreserveFds(t *testing.T) {
	r := newRunner(t)
	read, write := preservedFiles(t, "from the host\n")
	c := r.newContainer(args("sh", "-c", "cat <&3; echo from the container >&4; ls -l /proc/self/fd"))
	res := r.runWithFds([]*os.File{read, write}, "run", "--preserve-fds", "2", "--bundle", c.bundle, c.id)
	if res.code != 0 {
		t.Fatalf("want exit 0: %s", res)
	}
	if !strings.HasPrefix(res.stdout, "from the host\n") {
		t.Errorf("fd 3 did not read the host's file: %s", res)
	}
	if got := readFile(t, write.Name()); got != "from the container\n" {
		t.Errorf("fd 4 wrote %q to the host's file, want %q", got, "from the container\n")
	}
	fds := containerFds(t, res.stdout)
	want := []string{"3 -> " + read.Name(), "4 -> " + write.Name()}
	var extra []string
	for _, fd := range fds {
		if !strings.HasPrefix(fd, "0 ") && !strings.HasPrefix(fd, "1 ") && !strings.HasPrefix(fd, "2 ") {
			extra = append(extra, fd)
		}
	}
	// The host paths show as they are: the files are outside the container's root.
	if strings.Join(extra, ", ") != strings.Join(want, ", ") {
		t.Errorf("container fds beyond stdio: %q, want exactly %q", extra, want)
	}
}

// TestPreserveFdsExec: exec --preserve-fds hands fds to the exec'd process the same way.
func TestPreserveFdsExec(t *testing.T) {
	r := newRunner(t)
	read, _ := preservedFiles(t, "to the exec\n")
	c := r.newContainer(args("sleep", "1000"))
	r.must("run", "--detach", "--bundle", c.bundle, c.id)
	res := r.runWithFds([]*os.File{read}, "exec", "--preserve-fds", "1", c.id, "sh", "-c", "cat <&3; ls -l /proc/self/fd")
	if res.code != 0 {
		t.Fatalf("want exit 0: %s", res)
	}
	if !strings.HasPrefix(res.stdout, "to the exec\n") {
		t.Errorf("fd 3 did not read the host's file: %s", res)
	}
	for _, fd := range containerFds(t, res.stdout) {
		if strings.HasPrefix(fd, "4 ") {
			t.Errorf("an fd beyond the preserved one reached the exec'd process: %s", fd)
		}
	}
}

// TestPreserveFdsNotPassed: asking for more fds than the caller passed is an error that leaves
// nothing behind; the runtime's own files (the Go runtime keeps cgroup files open from start)
// must not stand in for the missing ones.
func TestPreserveFdsNotPassed(t *testing.T) {
	r := newRunner(t)
	read, _ := preservedFiles(t, "x")
	c := r.newContainer(args("true"))
	for _, n := range []string{"2", "5"} {
		res := r.runWithFds([]*os.File{read}, "run", "--preserve-fds", n, "--bundle", c.bundle, c.id)
		if filepath.Base(binary) != "runc" {
			oneLineError(t, res, "--preserve-fds "+n+": fd 4 was not passed")
		} else if res.code == 0 {
			t.Errorf("want a non-zero exit: %s", res)
		}
		if _, _, ok := r.state(c.id); ok {
			t.Errorf("--preserve-fds %s with one fd passed left container %s behind", n, c.id)
		}
	}
}
