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
	"testing"

	"github.com/contain-runtime/contain/tests/bundle"
)

// binary is the runtime under test, set once by TestMain.
var binary string

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	defer bundle.Cleanup()
	bin, cleanup, err := bundle.RuntimeBinary()
	if err != nil {
		fmt.Fprintf(os.Stderr, "interactive: %v\n", err)
		return 1
	}
	defer cleanup()
	binary = bin
	return m.Run()
}
