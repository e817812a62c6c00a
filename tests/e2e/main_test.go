//go:build linux

package e2e

import (
	"fmt"
	"os"
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
	bin, cleanup, err := bundle.RuntimeBinary()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	defer cleanup()
	binary = bin
	if binary != "" {
		fmt.Fprintf(os.Stderr, "e2e: runtime under test: %s\n", binary)
	}
	return m.Run()
}
