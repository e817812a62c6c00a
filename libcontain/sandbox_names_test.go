package libcontain

import (
	"testing"

	"github.com/contain-runtime/contain/libcontain/sandbox"
	"github.com/contain-runtime/contain/spec"
)

// TestSandboxInternalsReserved ties the names contain gives its own files in a sandbox to the
// names volumes may not use (spec.ReservedSandboxName): a new internal name must be reserved too.
func TestSandboxInternalsReserved(t *testing.T) {
	for _, name := range []string{sandbox.OverlayDir, MonitorReportFile, "." + MonitorReportFile + ".tmp", "stdout", "stderr"} {
		if !spec.ReservedSandboxName(name) {
			t.Errorf("sandbox internal %q is not reserved", name)
		}
	}
}
