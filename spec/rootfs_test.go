package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestRootfsPath(t *testing.T) {
	bundle := t.TempDir()
	elsewhere := t.TempDir()
	for _, d := range []string{"rootfs", "real"} {
		if err := os.Mkdir(filepath.Join(bundle, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("real", filepath.Join(bundle, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// t.TempDir may itself sit under a symlink (e.g. /tmp -> /private/tmp); compare resolved.
	realBundle, err := filepath.EvalSymlinks(bundle)
	if err != nil {
		t.Fatal(err)
	}
	realElsewhere, err := filepath.EvalSymlinks(elsewhere)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		root    *specs.Root
		want    string
		wantErr string
	}{
		{name: "relative", root: &specs.Root{Path: "rootfs"}, want: filepath.Join(realBundle, "rootfs")},
		{name: "relative dot slash", root: &specs.Root{Path: "./rootfs/"}, want: filepath.Join(realBundle, "rootfs")},
		{name: "absolute elsewhere", root: &specs.Root{Path: elsewhere}, want: realElsewhere},
		{name: "symlink resolved", root: &specs.Root{Path: "link"}, want: filepath.Join(realBundle, "real")},
		{name: "missing", root: &specs.Root{Path: "nope"},
			wantErr: `rootfs ("` + filepath.Join(bundle, "nope") + `") does not exist`},
		{name: "not a directory", root: &specs.Root{Path: "file"}, wantErr: "is not a directory"},
		{name: "no root", root: nil, wantErr: "root.path must be set"},
		{name: "empty path", root: &specs.Root{}, wantErr: "root.path must be set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RootfsPath(&specs.Spec{Root: tt.root}, bundle)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("RootfsPath = %q, %v; want error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("RootfsPath = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
