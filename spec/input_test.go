package spec

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestReadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ok := write("ok.json", `{"a":1}`)
	big := write("big.json", strings.Repeat("x", 101))
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(ok, link); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero.json")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.json")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
	}{
		{"regular", ok, ""},
		{"symlink to a regular file", link, ""},
		{"too large", big, "more than the 100"},
		{"char device behind a symlink", zero, "not a regular file (a character device)"},
		{"fifo", fifo, "not a regular file (a FIFO)"},
		{"directory", dir, "not a regular file (a directory)"},
		{"missing", filepath.Join(dir, "none"), "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan struct{})
			var b []byte
			var err error
			go func() { b, err = ReadInput(tt.path, "test file", 100); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("ReadInput blocked")
			}
			if tt.want == "" {
				if err != nil || string(b) != `{"a":1}` {
					t.Fatalf("ReadInput = %q, %v", b, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "test file") {
				t.Fatalf("ReadInput error %v, want one naming the test file and %q", err, tt.want)
			}
		})
	}
	if _, err := ReadInput(filepath.Join(dir, "none"), "x", 1); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v, want fs.ErrNotExist", err)
	}
}

func TestReadInputFile(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	go func() { w.Write([]byte(strings.Repeat("y", 50))); w.Close() }()
	if _, err := ReadInputFile(r, "stdin", 10); err == nil || !strings.Contains(err.Error(), "larger than 10") {
		t.Fatalf("ReadInputFile over the bound: %v", err)
	}
}
