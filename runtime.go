package main

import (
	"log/slog"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/contain-runtime/contain/libcontain"
	"github.com/contain-runtime/contain/libcontain/namespaces"
)

// newRuntime builds the command's runtime from the global flags. A rootless caller (see
// libcontain.Rootless) keeps state under $XDG_RUNTIME_DIR/contain and sandboxes under
// ~/.local/share/contain unless --root and --work-dir (or CONTAIN_WORK_DIR) say otherwise:
// /run/contain and /var/lib/contain are root's.
func newRuntime(c *cli.Context, log *slog.Logger) (*libcontain.Runtime, error) {
	rootless := libcontain.Rootless()
	root, workDir := c.String("root"), c.String("work-dir")
	if rootless && !c.IsSet("root") {
		m, _ := os.ReadFile("/proc/self/uid_map")
		root = libcontain.RootlessStateRoot(namespaces.HostUID(os.Getuid(), m))
	}
	if rootless && !c.IsSet("work-dir") {
		var err error
		if workDir, err = libcontain.RootlessWorkDir(); err != nil {
			return nil, err
		}
	}
	rt, err := libcontain.NewRuntime(root, workDir, log, c.Bool("debug"))
	if err != nil {
		return nil, err
	}
	if rootless && !c.IsSet("root") {
		// Without $XDG_RUNTIME_DIR the root is in the shared temp dir: it must be ours alone.
		if err := libcontain.CheckOwnDir(root); err != nil {
			return nil, err
		}
	}
	rt.SystemdCgroup = c.Bool("systemd-cgroup")
	rt.Rootless = rootless
	return rt, nil
}
