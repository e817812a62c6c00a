package libcontain

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/tests/needs"
)

// Every way of sealing the binary gives a handle to the same program that nobody can write
// through (CVE-2019-5736): not by reopening it for writing through /proc/self/fd, as a container
// process would through /proc/<child>/exe once the child has exec'd. The overlay cases seal a
// file that is not running (a running binary refuses writes with ETXTBSY anyway, which would
// hide a missing protection).
func TestSealedSelfRefusesWrites(t *testing.T) {
	needs.Root(t)
	self, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "contain")
	if err := os.WriteFile(bin, self, 0o755); err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Stat(bin, &st); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		open func() (*os.File, error)
	}{
		{"overlay", func() (*os.File, error) { return overlayOf(bin, &st, t.TempDir()) }},
		// The binary's own directory cannot be the second layer (the layers overlap): /dev is.
		{"overlay, overlapping dummy", func() (*os.File, error) { return overlayOf(bin, &st, dir) }},
		{"memfd copy", func() (*os.File, error) { return sealedCopy("/proc/self/exe") }},
		{"sealedSelf", func() (*os.File, error) { return sealedSelf(slog.New(slog.DiscardHandler), t.TempDir(), 0) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := tc.open()
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			path := "/proc/self/fd/" + strconv.Itoa(int(f.Fd()))
			if w, err := os.OpenFile(path, os.O_WRONLY, 0); err == nil {
				_, werr := w.Write([]byte("pwned"))
				w.Close()
				if werr == nil {
					t.Fatal("wrote through the sealed binary")
				}
			}
			r, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, self) {
				t.Fatalf("sealed binary differs from /proc/self/exe (%d bytes, want %d)", len(got), len(self))
			}
		})
	}
}

// The overlay refuses a binary that is no longer the one running (replaced on disk by an
// upgrade): the child must be the same program as the parent.
func TestSealedOverlayRefusesReplacedBinary(t *testing.T) {
	needs.Root(t)
	bin := filepath.Join(t.TempDir(), "contain")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Stat(bin, &st); err != nil {
		t.Fatal(err)
	}
	f, err := overlayOf(bin, &st, t.TempDir())
	if err != nil {
		t.Fatalf("unchanged binary: %v", err)
	}
	f.Close()
	// An upgrade renames a new file over the old one.
	tmp := bin + ".new"
	if err := os.WriteFile(tmp, []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, bin); err != nil {
		t.Fatal(err)
	}
	if f, err := overlayOf(bin, &st, t.TempDir()); err == nil {
		f.Close()
		t.Fatal("a replaced binary was opened")
	}
}

func TestPathsOverlap(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"/work/main/", "/work/main/build/bench/root", true},
		{"/work/main/build", "/work/main", true},
		{"/work/main", "/work/main/", true},
		{"/work/main/", "/work/mainline/root", false},
		{"/usr/local/sbin/", "/run/contain", false},
		{"/", "/run/contain", true},
	} {
		if got := pathsOverlap(tc.a, tc.b); got != tc.want {
			t.Errorf("pathsOverlap(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
