package cgfs

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseKeyValues(t *testing.T) {
	tests := []struct {
		in      string
		want    map[string]uint64
		wantErr bool
	}{
		{"a 1\nb max\n\n", map[string]uint64{"a": 1, "b": math.MaxUint64}, false},
		{"oom_kill_disable 0\nunder_oom 0\noom_kill 7\n", map[string]uint64{"oom_kill_disable": 0, "under_oom": 0, "oom_kill": 7}, false},
		{"a\n", nil, true},
		{"a x\n", nil, true},
		{"a 1 2\n", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseKeyValues([]byte(tt.in))
			if (err != nil) != tt.wantErr || (!tt.wantErr && !reflect.DeepEqual(got, tt.want)) {
				t.Fatalf("got %v, %v", got, err)
			}
		})
	}
}

func TestParseUint(t *testing.T) {
	for in, want := range map[string]uint64{"0": 0, "42\n": 42, "max": math.MaxUint64, "-1": 0} {
		if got, err := ParseUint(in); err != nil || got != want {
			t.Errorf("ParseUint(%q) = %d, %v", in, got, err)
		}
	}
	if _, err := ParseUint("x"); err == nil {
		t.Error("want error")
	}
}

func TestParsePids(t *testing.T) {
	got, err := ParsePids([]byte("1\n23\n"))
	if err != nil || !reflect.DeepEqual(got, []int{1, 23}) {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range []string{"x", "0", "-3"} {
		if _, err := ParsePids([]byte(bad)); err == nil {
			t.Errorf("ParsePids(%q): want error", bad)
		}
	}
}

func TestWriteError(t *testing.T) {
	dir := t.TempDir()
	err := Write(dir, "memory.limit_in_bytes", "1")
	if err == nil || err.Error() != "set memory.limit_in_bytes to 1: no such file or directory" || !errors.Is(err, unix.ENOENT) {
		t.Fatalf("err = %v", err)
	}
}

func TestAllPidsAndRemove(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "leaf")
	os.MkdirAll(filepath.Join(dir, "child"), 0o755)
	os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte("5\n3\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "child", "cgroup.procs"), []byte("3\n9\n"), 0o644)
	got, err := AllPids(dir)
	if err != nil || !reflect.DeepEqual(got, []int{3, 5, 9}) {
		t.Fatalf("AllPids = %v, %v", got, err)
	}
	if err := RemoveLeaf(filepath.Join(dir, "nope")); err != nil {
		t.Fatalf("missing dir: %v", err)
	}
	if err := RemoveParent(filepath.Join(dir, "nope")); err != nil {
		t.Fatalf("missing parent: %v", err)
	}
	// Not empty (a plain file stands in for a task): the parent is left alone, silently.
	if err := RemoveParent(dir); err != nil {
		t.Fatalf("busy parent: %v", err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatal("parent removed")
	}
}

func TestMkdirAll(t *testing.T) {
	base := t.TempDir()
	os.Mkdir(filepath.Join(base, "a"), 0o755)
	made, err := MkdirAll(base, filepath.Join(base, "a", "b", "c"))
	want := []string{filepath.Join(base, "a", "b"), filepath.Join(base, "a", "b", "c")}
	if err != nil || !reflect.DeepEqual(made, want) {
		t.Fatalf("MkdirAll = %v, %v", made, err)
	}
	if made, err := MkdirAll(base, filepath.Join(base, "a", "b", "c")); err != nil || made != nil {
		t.Fatalf("second MkdirAll = %v, %v", made, err)
	}
	if _, err := MkdirAll(base, filepath.Dir(base)); err == nil {
		t.Fatal("dir above base accepted")
	}
}

func TestValidPageSize(t *testing.T) {
	for s, ok := range map[string]bool{"2MB": true, "1GB": true, "64KB": true, "2M": false, "MB": false, "../2MB": false, "2mB": false, "": false} {
		if err := ValidPageSize(s); (err == nil) != ok {
			t.Errorf("ValidPageSize(%q) = %v", s, err)
		}
	}
}

func FuzzParseKeyValues(f *testing.F) {
	f.Add([]byte("cache 1\nrss 2\n"))
	f.Add([]byte("a max\n"))
	f.Fuzz(func(t *testing.T, b []byte) { ParseKeyValues(b) })
}

func FuzzParsePids(f *testing.F) {
	f.Add([]byte("1\n2\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pids, err := ParsePids(b)
		for _, p := range pids {
			if err == nil && p <= 0 {
				t.Fatalf("accepted pid %d", p)
			}
		}
	})
}

// TestReadFile: readFile returns what os.ReadFile returns, for files smaller and larger than its
// first buffer and for a cgroup file the kernel generates on read (size 0 in stat), and its
// errors keep the errno behind an *os.PathError.
func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	paths := []string{"/proc/self/status", "/proc/self/mountinfo"}
	for _, n := range []int{0, 1, 511, 512, 513, 5000} {
		p := filepath.Join(dir, "f"+strconv.Itoa(n))
		data := make([]byte, n)
		for i := range data {
			data[i] = byte('a' + i%26)
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	if m, _ := filepath.Glob("/sys/fs/cgroup/*/memory.stat"); len(m) > 0 {
		paths = append(paths, m[0])
	}
	for _, p := range paths {
		want, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := readFile(p)
		// A generated file may change between the two reads (mountinfo, memory.stat): compare
		// lengths within reason there, the bytes of plain files.
		if err != nil || (filepath.Dir(p) == dir && !bytes.Equal(got, want)) || (len(got) == 0) != (len(want) == 0) {
			t.Errorf("readFile(%s) = %d bytes, %v; os.ReadFile %d bytes", p, len(got), err, len(want))
		}
	}
	var pe *os.PathError
	if _, err := readFile(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) || !errors.As(err, &pe) {
		t.Errorf("readFile of a missing file: %v, want an *os.PathError wrapping ENOENT", err)
	}
	if _, err := readFile(dir); !errors.Is(err, unix.EISDIR) || !errors.As(err, &pe) {
		t.Errorf("readFile of a dir: %v, want an *os.PathError wrapping EISDIR", err)
	}
}

// TestRemoveLeafNested removes a real cgroup with children (made by the container's processes in
// real life): the first rmdir fails with EBUSY, and the walk below it must still happen.
func TestRemoveLeafNested(t *testing.T) {
	hier := "/sys/fs/cgroup/pids"
	var sfs unix.Statfs_t
	if os.Geteuid() != 0 || unix.Statfs(hier, &sfs) != nil || sfs.Type != unix.CGROUP_SUPER_MAGIC {
		t.Skip("needs root and a cgroup v1 pids hierarchy at " + hier)
	}
	top := filepath.Join(hier, fmt.Sprintf("contain-test-removeleaf-%d", os.Getpid()))
	deep := filepath.Join(top, "a", "b")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, d := range []string{deep, filepath.Dir(deep), top} {
			_ = unix.Rmdir(d)
		}
	})
	if err := os.Mkdir(filepath.Join(top, "c"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := RemoveLeaf(top); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(top); !os.IsNotExist(err) {
		t.Fatalf("cgroup %s still there (%v)", top, err)
	}
}
