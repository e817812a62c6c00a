package e2e

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/tests/needs"
)

// TestInitIsSmallSealedBinary: a created container's init runs the small init binary contain
// embeds (libcontain/initexe), not contain itself: installed once under the work dir's bin/
// (0555: nobody may write it, a user namespace's root may run it; not rewritten by the next
// create), and started through the same read-only seal as contain (a write through /proc/<init>/exe fails with EROFS). A process
// exec'd into the container still comes from contain (it joins namespaces, which only contain's
// nsenter constructor can). Fails with the Makefile's containinit tag left out: init is then
// contain, of contain's size.
func TestInitIsSmallSealedBinary(t *testing.T) {
	needs.Root(t)
	r := newRunner(t)
	var self unix.Stat_t
	if err := unix.Stat(binary, &self); err != nil {
		t.Fatal(err)
	}
	installed := func() (string, unix.Stat_t) {
		t.Helper()
		dir := filepath.Join(filepath.Dir(r.root), "work", "bin")
		m, err := filepath.Glob(filepath.Join(dir, "contain-init-*"))
		if err != nil || len(m) != 1 {
			t.Fatalf("%s holds %v (%v), want one contain-init-<sum>", dir, m, err)
		}
		var st unix.Stat_t
		if err := unix.Lstat(m[0], &st); err != nil {
			t.Fatal(err)
		}
		if st.Mode&0o7777 != 0o555 {
			t.Errorf("%s: mode %o, want 0555", m[0], st.Mode&0o7777)
		}
		return m[0], st
	}
	initExe := func(c *container) (string, unix.Stat_t) {
		t.Helper()
		st, res, ok := r.state(c.id)
		if !ok {
			t.Fatalf("state: %s", res)
		}
		exe := "/proc/" + strconv.Itoa(st.Pid) + "/exe"
		var est unix.Stat_t
		if err := unix.Stat(exe, &est); err != nil {
			t.Fatal(err)
		}
		return exe, est
	}

	a := r.newContainer(args("sleep", "100"))
	r.must("create", "--bundle", a.bundle, a.id)
	exe, est := initExe(a)
	path, inst := installed()
	if est.Size != inst.Size || est.Size >= self.Size/2 {
		t.Errorf("init's binary is %d bytes; the installed small init %d, contain %d", est.Size, inst.Size, self.Size)
	}
	w, err := os.OpenFile(exe, os.O_WRONLY|os.O_APPEND, 0)
	if err == nil {
		w.Close()
		t.Errorf("opened init's binary %s for writing", exe)
	} else if !errors.Is(err, unix.EROFS) {
		t.Errorf("open %s for writing: %v, want EROFS (the read-only seal)", exe, err)
	}

	b := r.newContainer(args("sleep", "100"))
	r.must("create", "--bundle", b.bundle, b.id)
	if path2, inst2 := installed(); path2 != path || inst2.Ino != inst.Ino || inst2.Mtim != inst.Mtim {
		t.Errorf("the second create wrote the small init again (%s ino %d, was %s ino %d)", path2, inst2.Ino, path, inst.Ino)
	}
	if _, est := initExe(b); est.Size != inst.Size {
		t.Errorf("second init's binary is %d bytes, want %d", est.Size, inst.Size)
	}

	r.must("start", a.id)
	if res := r.run("exec", a.id, "sh", "-c", "echo exec-ok"); res.code != 0 || res.stdout != "exec-ok\n" {
		t.Errorf("exec: %s", res)
	}
}
