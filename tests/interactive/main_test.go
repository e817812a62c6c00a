//go:build linux

// Package interactive drives `contain run --rootfs` through a real terminal: a tmux server of
// the test's own (private socket) runs a host shell, the test types into it with send-keys and
// reads the screen with capture-pane. It covers what pipes cannot: the pty, raw mode and its
// restoration, the window size and SIGWINCH. The binary is contain, built by TestMain, or the one
// named by CONTAIN_BINARY. The tests need root and tmux; without them they skip.
package interactive

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/contain-runtime/contain/tests/bundle"
)

// binary is the runtime under test, set once by TestMain.
var binary string

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	defer bundle.Cleanup()
	binary = os.Getenv("CONTAIN_BINARY")
	if binary == "" && os.Geteuid() == 0 {
		dir, err := os.MkdirTemp("", "contain-interactive-bin-")
		if err != nil {
			fmt.Fprintf(os.Stderr, "interactive: make build dir: %v\n", err)
			return 1
		}
		defer os.RemoveAll(dir)
		binary = filepath.Join(dir, "contain")
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = "/usr/local/go/bin/go"
		}
		cmd := exec.Command(goTool, "build", "-trimpath", "-o", binary, "github.com/contain-runtime/contain")
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "interactive: build contain: %v\n%s", err, out)
			return 1
		}
	}
	if binary != "" {
		abs, err := filepath.Abs(binary)
		if err != nil {
			fmt.Fprintf(os.Stderr, "interactive: resolve CONTAIN_BINARY: %v\n", err)
			return 1
		}
		binary = abs
	}
	return m.Run()
}
