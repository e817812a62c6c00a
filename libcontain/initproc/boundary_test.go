package initproc

import (
	"go/build"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/contain-runtime/contain/"

// moduleDeps returns the packages of this module that pkg (a path below the module) imports,
// directly or not, from its non-test files.
func moduleDeps(t *testing.T, pkg string) []string {
	t.Helper()
	seen := map[string]bool{}
	var walk func(p string)
	walk = func(p string) {
		bp, err := build.Default.ImportDir(filepath.Join("../..", p), 0)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, imp := range bp.Imports {
			if rel, ok := strings.CutPrefix(imp, module); ok && !seen[rel] {
				seen[rel] = true
				walk(rel)
			}
		}
	}
	walk(pkg)
	var out []string
	for p := range seen {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// TestBoundary: what runs inside the container imports nothing of the runtime's host side (the
// container, its state, cgroups, the spec layer, isolators), and the host side does not import
// it: they meet only in package protocol. Both sides use timerslack, and the spec's JSON codec
// (spec/specjson, which imports nothing of the spec layer).
func TestBoundary(t *testing.T) {
	childMay := []string{"hooks", "libcontain/internal/protocol", "libcontain/namespaces", "libcontain/rootfs", "libcontain/seccomp", "libcontain/timerslack", "spec/specjson"}
	for _, p := range moduleDeps(t, "libcontain/initproc") {
		if !slices.Contains(childMay, p) {
			t.Errorf("libcontain/initproc imports %s, which is not the child side's", p)
		}
	}
	if deps := moduleDeps(t, "libcontain"); slices.Contains(deps, "libcontain/initproc") || !slices.Contains(deps, "libcontain/internal/protocol") {
		t.Errorf("libcontain imports %v: want protocol and not initproc", deps)
	}
}
