package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// RuntimeBinary is the runtime a test binary drives: $CONTAIN_BINARY made absolute, or else
// (as root; without root every test skips, so nothing is built) contain built from this module
// into a temporary directory. cleanup removes what was built; "" with a nil error means no
// binary (not root, no CONTAIN_BINARY). The go tool finds the module from the test's working
// directory, so no path to the checkout is needed. The build is the Makefile's: the small init
// binary first (buildInit), then contain embedding it.
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
	if err := buildInit(goTool, dir); err != nil {
		cleanup()
		return "", func() {}, err
	}
	path = filepath.Join(dir, "contain")
	cmd := exec.Command(goTool, "build", "-trimpath", "-tags", "urfave_cli_no_docs containinit", "-o", path, "github.com/contain-runtime/contain")
	if out, err := cmd.CombinedOutput(); err != nil {
		cleanup()
		return "", func() {}, fmt.Errorf("build contain: %w\n%s(set CONTAIN_BINARY=/path/to/runtime to test a prebuilt binary)", err, out)
	}
	return path, cleanup, nil
}

// buildInit builds the small init binary (cgo off, stripped: the Makefile's init-binary) and
// puts it, and its sha256, where the containinit tag embeds them from. Test packages build
// at the same time: each file is renamed into place whole, and every build writes the same bytes.
func buildInit(goTool, tmp string) error {
	out, err := exec.Command(goTool, "list", "-f", "{{.Dir}}", "github.com/contain-runtime/contain/libcontain/initexe").Output()
	if err != nil {
		return fmt.Errorf("find package initexe: %w", err)
	}
	dir := strings.TrimSpace(string(out))
	bin := filepath.Join(tmp, "contain-init")
	cmd := exec.Command(goTool, "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "github.com/contain-runtime/contain/libcontain/initexe/cmd")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build contain-init: %w\n%s", err, out)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	if err := os.WriteFile(bin+".sum", []byte(hex.EncodeToString(sum[:])), 0o644); err != nil {
		return err
	}
	for _, name := range []string{"contain-init", "contain-init.sum"} {
		if err := replaceWith(filepath.Join(tmp, name), filepath.Join(dir, name), filepath.Base(tmp)); err != nil {
			return err
		}
	}
	return nil
}

// replaceWith copies src to dst through dst.<tag> and a rename: readers see all or nothing.
func replaceWith(src, dst, tag string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.WriteFile(dst+"."+tag, b, 0o755); err != nil {
		return err
	}
	if err := os.Rename(dst+"."+tag, dst); err != nil {
		os.Remove(dst + "." + tag)
		return err
	}
	return nil
}
