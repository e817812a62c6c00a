package bundle

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// RuntimeBinary is the runtime a test binary drives: $CONTAIN_BINARY made absolute, or else
// (as root; without root every test skips, so nothing is built) contain built from this module
// into a temporary directory. cleanup removes what was built; "" with a nil error means no
// binary (not root, no CONTAIN_BINARY). The go tool finds the module from the test's working
// directory, so no path to the checkout is needed.
func RuntimeBinary() (path string, cleanup func(), err error) {
	cleanup = func() {}
	if p := os.Getenv("CONTAIN_BINARY"); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", cleanup, fmt.Errorf("resolve CONTAIN_BINARY: %w", err)
		}
		return abs, cleanup, nil
	}
	if os.Geteuid() != 0 {
		return "", cleanup, nil
	}
	dir, err := os.MkdirTemp("", "contain-test-bin-")
	if err != nil {
		return "", cleanup, fmt.Errorf("make build dir: %w", err)
	}
	cleanup = func() { os.RemoveAll(dir) }
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = "/usr/local/go/bin/go"
	}
	path = filepath.Join(dir, "contain")
	cmd := exec.Command(goTool, "build", "-trimpath", "-tags", "urfave_cli_no_docs", "-o", path, "github.com/contain-runtime/contain")
	if out, err := cmd.CombinedOutput(); err != nil {
		cleanup()
		return "", func() {}, fmt.Errorf("build contain: %w\n%s(set CONTAIN_BINARY=/path/to/runtime to test a prebuilt binary)", err, out)
	}
	return path, cleanup, nil
}
