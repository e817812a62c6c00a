package files

import (
	"bytes"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/sandbox"
)

// fixture is a work dir with two runs of container "web" (latest is the second) and a secret
// next to the work dir that no path may reach.
type fixture struct {
	tree         *Tree
	workDir      string
	old, current *sandbox.Sandbox
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	top := t.TempDir()
	wd := filepath.Join(top, "work")
	if err := os.WriteFile(filepath.Join(top, "secret"), []byte("outside"), 0o600); err != nil {
		t.Fatal(err)
	}
	old, err := sandbox.Create(wd, "web", time.Unix(100, 0))
	if err != nil {
		t.Fatal(err)
	}
	cur, err := sandbox.Create(wd, "web", time.Unix(200, 0))
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(old.Dir, "stdout"), "old run\n")
	write(t, filepath.Join(cur.Dir, "stdout"), "hello\nworld\n")
	if err := os.MkdirAll(filepath.Join(cur.Dir, "data", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(cur.Dir, "data", "sub", "f.txt"), "inner")
	tree, err := New(wd)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{tree: tree, workDir: wd, old: old, current: cur}
}

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, p string) {
	t.Helper()
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
}

func TestReadPaths(t *testing.T) {
	f := newFixture(t)
	sb := f.current.Dir
	symlink(t, "/etc", filepath.Join(sb, "etc"))
	symlink(t, "../../../../..", filepath.Join(sb, "up"))
	symlink(t, "loop-b", filepath.Join(sb, "loop-a"))
	symlink(t, "loop-a", filepath.Join(sb, "loop-b"))
	symlink(t, "data/sub", filepath.Join(sb, "inside"))
	symlink(t, "../"+f.old.RunID+"/stdout", filepath.Join(sb, "sibling"))
	if err := unix.Mkfifo(filepath.Join(sb, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(sb, "sock"), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	devOK := unix.Mknod(filepath.Join(sb, "null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))) == nil

	latest := "/containers/web/latest"
	run := "/containers/web/runs/" + f.current.RunID
	tests := []struct {
		name, path string
		want       string // content, when err is nil
		err        error
	}{
		{"latest", latest + "/stdout", "hello\nworld\n", nil},
		{"run by id", run + "/stdout", "hello\nworld\n", nil},
		{"older run", "/containers/web/runs/" + f.old.RunID + "/stdout", "old run\n", nil},
		{"runs/latest", "/containers/web/runs/latest/stdout", "hello\nworld\n", nil},
		{"nested", latest + "/data/sub/f.txt", "inner", nil},
		{"dot-dot staying inside", latest + "/data/sub/../sub/f.txt", "inner", nil},
		{"symlinked dir inside", latest + "/inside/f.txt", "inner", nil},
		{"no leading slash", "containers/web/latest/stdout", "hello\nworld\n", nil},

		{"dot-dot out of the sandbox", latest + "/../../../../secret", "", ErrOutside},
		{"dot-dot into another run", latest + "/../" + f.old.RunID + "/stdout", "", ErrOutside},
		{"dot-dot as the id", "/containers/../../secret", "", ErrInvalid},
		{"dot-dot as the run", "/containers/web/runs/../../secret", "", ErrInvalid},
		{"dot as the id", "/containers/./web/latest/stdout", "", ErrInvalid},
		{"absolute path", "/etc/passwd", "", ErrNotFound},
		{"absolute path inside", latest + "//etc/passwd", "", ErrOutside},
		{"symlink to /etc", latest + "/etc/passwd", "", ErrOutside},
		{"symlink climbing out", latest + "/up/etc/passwd", "", ErrOutside},
		{"symlink into another run", latest + "/sibling", "", ErrOutside},
		{"symlink loop", latest + "/loop-a", "", ErrLoop},
		{"fifo", latest + "/fifo", "", ErrNotRegular},
		{"socket", latest + "/sock", "", ErrNotRegular},
		{"directory", latest + "/data", "", ErrIsDir},
		{"missing", latest + "/nope", "", ErrNotFound},
		{"through a file", latest + "/stdout/x", "", ErrNotFound},
		{"missing container", "/containers/db/latest/stdout", "", ErrNotFound},
		{"hidden run name", "/containers/web/runs/.latest-x/stdout", "", ErrInvalid},
		{"NUL byte", latest + "/std\x00out", "", ErrInvalid},
		{"not a container level", "/containers/web/other/stdout", "", ErrNotFound},
	}
	if devOK {
		tests = append(tests, struct {
			name, path string
			want       string
			err        error
		}{"device node", latest + "/null", "", ErrNotRegular})
	} else {
		t.Log("device node case needs CAP_MKNOD: not run")
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := f.tree.Read(tc.path, 0, MaxRead)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("Read(%q) = %v, want %v", tc.path, err, tc.err)
				}
				// The same path must not be downloadable or browsable either.
				if fh, err := f.tree.Open(tc.path); err == nil {
					fh.Close()
					t.Errorf("Open(%q) succeeded", tc.path)
				}
				if _, err := f.tree.Browse(tc.path); err == nil && !errors.Is(tc.err, ErrIsDir) {
					t.Errorf("Browse(%q) succeeded", tc.path)
				}
				return
			}
			if err != nil {
				t.Fatalf("Read(%q): %v", tc.path, err)
			}
			if string(c.Data) != tc.want {
				t.Fatalf("Read(%q) = %q, want %q", tc.path, c.Data, tc.want)
			}
		})
	}
}

func TestLatestPointingOutside(t *testing.T) {
	f := newFixture(t)
	runs := filepath.Dir(f.current.Dir)
	if err := os.Remove(filepath.Join(runs, "latest")); err != nil {
		t.Fatal(err)
	}
	symlink(t, "../../..", filepath.Join(runs, "latest"))
	if _, err := f.tree.Read("/containers/web/latest/secret", 0, 10); !errors.Is(err, ErrOutside) {
		t.Fatalf("read through a latest link pointing out: %v, want %v", err, ErrOutside)
	}
	l, err := f.tree.Browse("/containers/web")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range l.Entries {
		if strings.HasSuffix(e.Path, "/latest") {
			t.Fatalf("a latest link pointing out is listed: %+v", e)
		}
	}
}

func TestSymlinkedContainerDirRefused(t *testing.T) {
	f := newFixture(t)
	// A container dir that is a symlink (to the other container's) is not followed.
	symlink(t, "web", filepath.Join(f.workDir, "containers", "alias"))
	if _, err := f.tree.Read("/containers/alias/latest/stdout", 0, 10); err == nil {
		t.Fatal("read through a symlinked container dir succeeded")
	}
}

func TestReadOffsets(t *testing.T) {
	f := newFixture(t)
	p := "/containers/web/latest/stdout" // "hello\nworld\n", 12 bytes
	tests := []struct {
		offset, length int64
		want           string
		wantOffset     int64
		err            error
	}{
		{0, 5, "hello", 0, nil},
		{5, 4, "\nwor", 5, nil},
		{10, 100, "d\n", 10, nil},
		{12, 10, "", 12, nil},
		{50, 10, "", 50, nil},
		{-1, 0, "", 12, nil}, // size query
		{-1, 99, "", 12, nil},
		{0, 0, "", 0, nil},
		{-2, 1, "", 0, ErrInvalid},
		{0, -1, "", 0, ErrInvalid},
	}
	for _, tc := range tests {
		c, err := f.tree.Read(p, tc.offset, tc.length)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("Read(%d, %d) = %v, want %v", tc.offset, tc.length, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Read(%d, %d): %v", tc.offset, tc.length, err)
			continue
		}
		if string(c.Data) != tc.want || c.Offset != tc.wantOffset {
			t.Errorf("Read(%d, %d) = %q at %d, want %q at %d", tc.offset, tc.length, c.Data, c.Offset, tc.want, tc.wantOffset)
		}
	}
	big := bytes.Repeat([]byte("x"), MaxRead+10)
	write(t, filepath.Join(f.current.Dir, "big"), string(big))
	c, err := f.tree.Read("/containers/web/latest/big", 0, MaxRead*4)
	if err != nil || len(c.Data) != MaxRead {
		t.Fatalf("a read past the cap returned %d bytes (%v), want %d", len(c.Data), err, MaxRead)
	}
}

func TestBrowse(t *testing.T) {
	f := newFixture(t)
	names := func(l *Listing) []string {
		var out []string
		for _, e := range l.Entries {
			out = append(out, e.Path)
		}
		return out
	}
	// Things in the fixed levels that lead nowhere are not shown.
	write(t, filepath.Join(f.workDir, "containers", "stray-file"), "")
	if err := os.Mkdir(filepath.Join(f.workDir, "containers", "bad id"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want []string
	}{
		{"/", []string{"/containers"}},
		{"/containers", []string{"/containers/web"}},
		{"/containers/web", []string{"/containers/web/latest", "/containers/web/runs"}},
		{"/containers/web/runs", []string{"/containers/web/runs/" + f.old.RunID, "/containers/web/runs/" + f.current.RunID}},
		{"/containers/web/latest", []string{"/containers/web/latest/data", "/containers/web/latest/stdout"}},
		{"/containers/web/latest/data/", []string{"/containers/web/latest/data/sub"}},
		{"/containers/web/latest/stdout", []string{"/containers/web/latest/stdout"}},
	}
	for _, tc := range tests {
		l, err := f.tree.Browse(tc.path)
		if err != nil {
			t.Errorf("Browse(%q): %v", tc.path, err)
			continue
		}
		if got := names(l); strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("Browse(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
	l, err := f.tree.Browse("/containers/web/latest")
	if err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(f.current.Dir, "stdout"), &st); err != nil {
		t.Fatal(err)
	}
	e := l.Entries[1]
	if e.Mode != "-rw-r--r--" || e.Size != 12 || e.Nlink != 1 || e.Mtime != float64(st.Mtim.Sec)+float64(st.Mtim.Nsec)/1e9 {
		t.Errorf("stdout entry %+v", e)
	}
	if e.UID == "" || e.GID == "" {
		t.Errorf("no owner in %+v", e)
	}
	// An empty work dir (no container yet) lists nothing rather than failing at /.
	for _, dir := range []string{t.TempDir(), filepath.Join(t.TempDir(), "not-yet")} {
		empty, _ := New(dir)
		if l, err := empty.Browse("/"); err != nil || len(l.Entries) != 0 {
			t.Errorf("Browse(/) of an empty or missing work dir = %+v, %v", l, err)
		}
	}
}

func TestModeString(t *testing.T) {
	tests := []struct {
		mode uint32
		want string
	}{
		{unix.S_IFREG | 0o644, "-rw-r--r--"},
		{unix.S_IFDIR | 0o755, "drwxr-xr-x"},
		{unix.S_IFDIR | 0o1777, "drwxrwxrwt"},
		{unix.S_IFDIR | 0o1776, "drwxrwxrwT"},
		{unix.S_IFREG | 0o4755, "-rwsr-xr-x"},
		{unix.S_IFREG | 0o2644, "-rw-r-Sr--"},
		{unix.S_IFLNK | 0o777, "lrwxrwxrwx"},
		{unix.S_IFIFO | 0o600, "prw-------"},
		{unix.S_IFSOCK | 0o755, "srwxr-xr-x"},
		{unix.S_IFCHR | 0o666, "crw-rw-rw-"},
		{unix.S_IFBLK | 0o660, "brw-rw----"},
	}
	for _, tc := range tests {
		if got := modeString(tc.mode); got != tc.want {
			t.Errorf("modeString(%o) = %q, want %q", tc.mode, got, tc.want)
		}
	}
}

func TestDebug(t *testing.T) {
	f := newFixture(t)
	m, err := f.tree.Debug()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"/containers/web/latest":                  f.current.Dir,
		"/containers/web/runs/" + f.current.RunID: f.current.Dir,
		"/containers/web/runs/" + f.old.RunID:     f.old.Dir,
	}
	if len(m) != len(want) {
		t.Fatalf("Debug = %v, want %v", m, want)
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("Debug[%q] = %q, want %q", k, m[k], v)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"/", "/containers/a/latest/x", "/containers/a/runs/r/../..", "containers//x", "/containers/a/runs/latest"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		loc, err := parse(p)
		if err != nil {
			return
		}
		// Whatever parses names only valid elements in its fixed part.
		if loc.level >= levelContainer && (loc.id == "" || strings.Contains(loc.id, "/") || loc.id == ".." || loc.id == ".") {
			t.Fatalf("parse(%q) accepted id %q", p, loc.id)
		}
		if loc.run != "" && !validRun(loc.run) {
			t.Fatalf("parse(%q) accepted run %q", p, loc.run)
		}
	})
}
