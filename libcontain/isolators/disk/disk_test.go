package disk

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/tests/needs"
)

// gnuDU runs GNU du with args plus "-s -x -c" and returns the grand total, in bytes.
func gnuDU(t *testing.T, args ...string) uint64 {
	t.Helper()
	if out, err := exec.Command("du", "--version").Output(); err != nil || !bytes.Contains(out, []byte("GNU coreutils")) {
		t.Skip("needs GNU du (coreutils) to compare against")
	}
	out, err := exec.Command("du", append([]string{"-s", "-x", "-c"}, args...)...).Output()
	if err != nil {
		t.Fatalf("du %v: %v", args, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	total := strings.Fields(lines[len(lines)-1])
	if len(total) != 2 || total[1] != "total" {
		t.Fatalf("du %v: no total in %q", args, out)
	}
	n, err := strconv.ParseUint(total[0], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func write(t *testing.T, p string, size int) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, bytes.Repeat([]byte("x"), size), 0o644); err != nil {
		t.Fatal(err)
	}
}

// tree builds a directory with what makes du counting tricky: hard links (inside the tree and
// to a file outside), a sparse file, symlinks to a file and a directory outside, a deep chain,
// empty files, a fifo and a big directory.
func tree(t *testing.T) (root, outside string) {
	root, outside = t.TempDir(), t.TempDir()
	write(t, filepath.Join(root, "a/one"), 1)
	write(t, filepath.Join(root, "a/b/c/d/e/f/deep"), 70000)
	write(t, filepath.Join(root, "big"), 1<<20+3)
	write(t, filepath.Join(root, "empty"), 0)
	write(t, filepath.Join(outside, "huge"), 4<<20)
	if err := os.Link(filepath.Join(root, "big"), filepath.Join(root, "a/big-link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(root, "big"), filepath.Join(root, "a/b/big-link2")); err != nil {
		t.Fatal(err)
	}
	// A link to a file outside: counted inside (du counts an inode at its first name met).
	if err := os.Link(filepath.Join(outside, "huge"), filepath.Join(root, "huge-link")); err != nil {
		t.Fatal(err)
	}
	sparse, err := os.Create(filepath.Join(root, "sparse"))
	if err != nil {
		t.Fatal(err)
	}
	sparse.WriteAt([]byte("end"), 1<<30)
	sparse.Close()
	for name, target := range map[string]string{"to-outside-dir": outside, "to-huge": filepath.Join(outside, "huge"), "dangling": "/nonexistent/x", "a/up": ".."} {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := unix.Mkfifo(filepath.Join(root, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3000; i++ { // more than one Readdirnames batch
		write(t, filepath.Join(root, "many", strconv.Itoa(i)), i%7)
	}
	return root, outside
}

func TestMeasureMatchesDU(t *testing.T) {
	root, outside := tree(t)
	cases := []struct {
		name  string
		paths []string
	}{
		{"tree", []string{root}},
		{"overlapping paths", []string{root, filepath.Join(root, "a/b"), root}},
		{"inner path first", []string{filepath.Join(root, "a/b"), root}},
		{"links across paths", []string{root, outside}},
		{"a symlink as the path", []string{filepath.Join(root, "to-outside-dir")}},
		{"a file as the path", []string{filepath.Join(root, "big")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Measure(tc.paths...)
			if err != nil {
				t.Fatal(err)
			}
			if want := gnuDU(t, append([]string{"-b"}, tc.paths...)...); got.Apparent != want {
				t.Errorf("Apparent = %d, du -sb says %d", got.Apparent, want)
			}
			if want := gnuDU(t, append([]string{"-B1"}, tc.paths...)...); got.Allocated != want {
				t.Errorf("Allocated = %d, du -s -B1 says %d", got.Allocated, want)
			}
		})
	}

	// The sanity of the numbers, beyond agreeing with du: the 1 GiB sparse file counts in
	// full only in Apparent, the hard-linked 1 MiB once.
	u, _ := Measure(root)
	if u.Apparent < 1<<30 || u.Allocated > 64<<20 {
		t.Errorf("sparse file miscounted: %+v", u)
	}
	if u.Apparent > 1<<30+8<<20 {
		t.Errorf("hard links counted more than once or symlinks followed: %+v", u)
	}
}

func TestMeasureErrors(t *testing.T) {
	if _, err := Measure("/nonexistent/contain-disk-test"); err != nil {
		t.Fatalf("a vanished path is not an error: %v", err)
	}
	u, err := Measure()
	if err != nil || u != (Usage{}) {
		t.Fatalf("Measure() = %+v, %v", u, err)
	}
}

// TestMeasureUnreadable: an unreadable directory is an error, with what could be counted.
func TestMeasureUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every directory (CAP_DAC_READ_SEARCH)")
	}
	root := t.TempDir()
	write(t, filepath.Join(root, "x"), 10)
	if err := os.Mkdir(filepath.Join(root, "locked"), 0); err != nil {
		t.Fatal(err)
	}
	u, err := Measure(root)
	if err == nil || u.Apparent < 10 {
		t.Fatalf("Measure = %+v, %v; want a lower bound and an error", u, err)
	}
}

// TestMeasureStaysOnFilesystem mounts a tmpfs with a file in the tree: like du -x, the walk
// must not count it.
func TestMeasureStaysOnFilesystem(t *testing.T) {
	needs.Root(t)
	root := t.TempDir()
	write(t, filepath.Join(root, "own"), 5000)
	mnt := filepath.Join(root, "mnt")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	before, err := Measure(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", mnt, "tmpfs", 0, "size=8m"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(mnt, unix.MNT_DETACH) })
	write(t, filepath.Join(mnt, "foreign"), 2<<20)
	after, err := Measure(root)
	if err != nil {
		t.Fatal(err)
	}
	// The mount point's own inode is now the tmpfs root: neither it nor what is below counts.
	if after.Apparent > before.Apparent || after.Allocated > before.Allocated {
		t.Fatalf("usage grew from %+v to %+v by a mount under the tree", before, after)
	}
	if want := gnuDU(t, "-b", root); after.Apparent != want {
		t.Errorf("Apparent = %d, du -sbx says %d", after.Apparent, want)
	}
}
