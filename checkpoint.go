package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/contain-runtime/contain/libcontain"
)

// noCRIU is the answer of checkpoint and restore. runc does both through CRIU; CRIU 3.17
// (Debian 12) cannot even pass `criu check` on the 6.x kernels contain is tested on ("vdso:
// Unexpected rt vDSO area bounds"), so contain says plainly that it has no checkpointing rather
// than half-doing it. The commands exist, with runc's flags, so that engines get this line
// instead of a usage error.
func noCRIU(command string) error {
	return fmt.Errorf("%s is not supported: contain has no CRIU checkpoint/restore", command)
}

// criuFlags are the flags checkpoint and restore share with runc's.
func criuFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "image-path", Usage: "directory of the CRIU image files"},
		&cli.StringFlag{Name: "work-path", Usage: "directory for CRIU's work files and logs"},
		&cli.BoolFlag{Name: "tcp-established", Usage: "allow open TCP connections"},
		&cli.BoolFlag{Name: "ext-unix-sk", Usage: "allow external unix sockets"},
		&cli.BoolFlag{Name: "shell-job", Usage: "allow shell jobs"},
		&cli.BoolFlag{Name: "file-locks", Usage: "handle file locks"},
		&cli.BoolFlag{Name: "lazy-pages", Usage: "restore memory pages lazily (userfaultfd)"},
		&cli.StringFlag{Name: "manage-cgroups-mode", Usage: "soft, full, strict or ignore"},
		&cli.StringSliceFlag{Name: "empty-ns", Usage: "namespace to create without restoring its properties"},
		&cli.BoolFlag{Name: "auto-dedup", Usage: "deduplicate memory images"},
	}
}

var checkpointCommand = &cli.Command{
	Name: "checkpoint", Usage: "checkpoint a running container (not supported: no CRIU)", ArgsUsage: "<container-id>",
	Flags: append(criuFlags(),
		&cli.StringFlag{Name: "parent-path", Usage: "image files of a previous pre-dump"},
		&cli.BoolFlag{Name: "leave-running", Usage: "leave the container running after the checkpoint"},
		&cli.BoolFlag{Name: "tcp-skip-in-flight", Usage: "skip in-flight TCP connections"},
		&cli.BoolFlag{Name: "link-remap", Usage: "link unlinked files back where possible"},
		&cli.IntFlag{Name: "status-fd", Value: -1, Usage: "fd that gets a NUL once lazy pages are ready"},
		&cli.StringFlag{Name: "page-server", Usage: "ADDRESS:PORT of a page server"},
		&cli.BoolFlag{Name: "pre-dump", Usage: "dump memory only and leave the container running"},
	),
	Action: withContainer(func(c *cli.Context, ct *libcontain.Container) error {
		return noCRIU("checkpoint")
	}),
}

var restoreCommand = &cli.Command{
	Name: "restore", Usage: "restore a container from a checkpoint (not supported: no CRIU)", ArgsUsage: "<container-id>",
	Flags: append(criuFlags(),
		bundleFlag,
		&cli.StringFlag{Name: "console-socket", Usage: "unix socket that receives the pty master"},
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "return once restored"},
		&cli.StringFlag{Name: "pid-file", Usage: "write the init pid to this file"},
		&cli.BoolFlag{Name: "no-subreaper", Usage: "do not reap reparented processes"},
		&cli.BoolFlag{Name: "no-pivot", Usage: "use MS_MOVE + chroot instead of pivot_root"},
		&cli.StringFlag{Name: "lsm-profile", Usage: "LSM profile, TYPE:NAME"},
		&cli.StringFlag{Name: "lsm-mount-context", Usage: "LSM mount context"},
	),
	Action: action(func(c *cli.Context, rt *libcontain.Runtime) error {
		if err := checkArgs(c, 1, exactArgs); err != nil {
			return err
		}
		return noCRIU("restore")
	}),
}
