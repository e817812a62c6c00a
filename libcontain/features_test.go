package libcontain

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go/features"

	"github.com/contain-runtime/contain/libcontain/seccomp"
)

// TestFeaturesSeccomp: the document says what the seccomp package, as compiled, accepts.
func TestFeaturesSeccomp(t *testing.T) {
	b, err := json.Marshal(Features())
	if err != nil {
		t.Fatal(err)
	}
	var back features.Features
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	sc := back.Linux.Seccomp
	if sc == nil || *sc.Enabled != seccomp.Supported() {
		t.Fatalf("seccomp features %s, want enabled = %v", b, seccomp.Supported())
	}
	if !seccomp.Supported() {
		return
	}
	if !slices.Contains(sc.Actions, "SCMP_ACT_ERRNO") || !slices.Contains(sc.Actions, "SCMP_ACT_NOTIFY") ||
		!slices.Contains(sc.Operators, "SCMP_CMP_MASKED_EQ") || !slices.Contains(sc.Archs, "SCMP_ARCH_X86_64") {
		t.Errorf("seccomp features lack an action, operator or arch: %s", b)
	}
}
