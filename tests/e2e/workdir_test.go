//go:build linux

package e2e

import (
	"path/filepath"
	"testing"
)

// wdRunner is a runner that knows its work dir: the runner passes every command
// --work-dir <test temp dir>/work, so no sandbox lands in /var/lib/contain, and the isolator
// tests look inside the sandboxes there.
type wdRunner struct {
	*runner
	work string
}

// newWDRunner is newRunner plus the path of its work dir.
func newWDRunner(t *testing.T) *wdRunner {
	t.Helper()
	r := newRunner(t)
	return &wdRunner{runner: r, work: filepath.Join(filepath.Dir(r.root), "work")}
}

// global returns the global flags runner.run gives the runtime followed by args, for tests
// that start the binary themselves (a background `events`, a create whose pipes they watch).
func (w *wdRunner) global(args ...string) []string {
	if isRunc() { // runc has no --work-dir
		return append([]string{"--root", w.root}, args...)
	}
	return append([]string{"--root", w.root, "--work-dir", w.work}, args...)
}
