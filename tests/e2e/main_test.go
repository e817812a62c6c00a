//go:build linux

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/contain-runtime/contain/tests/bundle"
)

// binary is the runtime under test, set once by TestMain before any test runs.
var binary string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	defer bundle.Cleanup()
	binary = os.Getenv("CONTAIN_BINARY")
	// Without root every test skips (needs.Root), so there is nothing to build.
	if binary == "" && os.Geteuid() == 0 {
		dir, err := os.MkdirTemp("", "contain-e2e-bin-")
		if err != nil {
			fmt.Fprintf(os.Stderr, "e2e: make build dir: %v\n", err)
			return 1
		}
		defer os.RemoveAll(dir)
		binary = filepath.Join(dir, "contain")
		if err := build(binary); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: %v\n(set CONTAIN_BINARY=/path/to/runtime to test a prebuilt binary)\n", err)
			return 1
		}
	}
	if binary != "" {
		abs, err := filepath.Abs(binary)
		if err != nil {
			fmt.Fprintf(os.Stderr, "e2e: resolve CONTAIN_BINARY: %v\n", err)
			return 1
		}
		binary = abs
		fmt.Fprintf(os.Stderr, "e2e: runtime under test: %s\n", binary)
	}
	return m.Run()
}

// build compiles contain into out. The module root is found by the go tool from the test's
// working directory (tests/e2e), so no path to the checkout is needed.
func build(out string) error {
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = "/usr/local/go/bin/go"
	}
	cmd := exec.Command(goTool, "build", "-trimpath", "-o", out, "github.com/contain-runtime/contain")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build contain: %w\n%s", err, b)
	}
	return nil
}
