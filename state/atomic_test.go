package state

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWriteFile: the file is replaced whole, with its mode, and no temp file is left.
func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "pid")
	for _, data := range []string{"12345", "7"} {
		if err := WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := readTestFile(t, p); got != data {
			t.Fatalf("read %q, want %q", got, data)
		}
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&^0o022 != 0o644&^0o022 {
		t.Errorf("mode %v, want 0644 less the umask", fi.Mode())
	}
	assertOnly(t, dir, "pid")
	if err := WriteFile(filepath.Join(dir, "no-such-dir", "pid"), []byte("1"), 0o644); err == nil {
		t.Error("WriteFile into a missing dir succeeded")
	}
}

func readTestFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
