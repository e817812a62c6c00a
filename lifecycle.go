package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain"
	"github.com/contain-runtime/contain/libcontain/initproc"
)

var bundleFlag = &cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Value: ".", Usage: "path to the OCI bundle"}

func createFlags() []cli.Flag {
	return []cli.Flag{
		bundleFlag,
		&cli.StringFlag{Name: "pid-file", Usage: "write the init pid to this file"},
		&cli.StringFlag{Name: "console-socket", Usage: "unix socket that receives the pty master"},
		&cli.BoolFlag{Name: "no-pivot", Usage: "use MS_MOVE + chroot instead of pivot_root (for ramfs roots)"},
		&cli.BoolFlag{Name: "no-new-keyring", Usage: "accepted for runc compatibility: contain never makes a session keyring"},
		&cli.IntFlag{Name: "preserve-fds", Usage: "number of extra fds (from 3) to pass into the container"},
		&cli.StringFlag{Name: "pidfd-socket", Usage: "unix socket that receives a pidfd of the container's process"},
	}
}

func createOpts(c *cli.Context) (libcontain.CreateOpts, error) {
	fds, err := preserveFds(c)
	if err != nil {
		return libcontain.CreateOpts{}, err
	}
	return libcontain.CreateOpts{
		ID: c.Args().First(), Bundle: c.String("bundle"), PidFile: c.String("pid-file"),
		ConsoleSocket: c.String("console-socket"), NoPivot: c.Bool("no-pivot"), PreserveFds: fds,
		PidfdSocket: c.String("pidfd-socket"),
	}, nil
}

var createCommand = &cli.Command{
	Name: "create", Usage: "create a container", ArgsUsage: "<container-id>",
	Flags: createFlags(),
	Action: action(func(c *cli.Context, rt *libcontain.Runtime) error {
		if err := checkArgs(c, 1, exactArgs); err != nil {
			return err
		}
		o, err := createOpts(c)
		if err != nil {
			return err
		}
		_, err = libcontain.Create(rt, o)
		return err
	}),
}

var runCommand = &cli.Command{
	Name: "run", Usage: "create and start a container, and wait for it", ArgsUsage: "<container-id>",
	Flags: append(append(createFlags(),
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "return once started"},
		&cli.BoolFlag{Name: "keep", Usage: "do not delete the container once it stopped (delete it later)"}),
		quickFlags()...),
	Action: action(func(c *cli.Context, rt *libcontain.Runtime) error {
		if c.IsSet("rootfs") {
			return quickRun(c, rt)
		}
		if err := checkArgs(c, 1, exactArgs); err != nil {
			return err
		}
		o, err := createOpts(c)
		if err != nil {
			return err
		}
		o.Keep = c.Bool("keep")
		// An isolator or the OOM killer ending the container is worth a line: say why.
		o.OnExit = func(e libcontain.Exit) {
			if e.Reason != "" {
				rt.Log.Warn("container " + o.ID + " ended: " + e.Status + " (" + e.Reason + ")")
			}
		}
		code, err := libcontain.Run(rt, o, c.Bool("detach"))
		if err != nil {
			return err
		}
		if code != 0 {
			return exitCoder{code}
		}
		return nil
	}),
}

var startCommand = &cli.Command{
	Name: "start", Usage: "start a created container", ArgsUsage: "<container-id>",
	Action: withContainer(func(c *cli.Context, ct *libcontain.Container) error { return ct.Start() }),
}

var stateCommand = &cli.Command{
	Name: "state", Usage: "print the state of a container", ArgsUsage: "<container-id>",
	Action: withContainer(func(c *cli.Context, ct *libcontain.Container) error {
		in, err := ct.State()
		if err != nil {
			return err
		}
		return printJSON(c, in)
	}),
}

var killCommand = &cli.Command{
	Name: "kill", Usage: "send a signal to a container's init", ArgsUsage: "<container-id> [signal]",
	Flags: []cli.Flag{&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "signal every process of the container"}},
	Action: action(func(c *cli.Context, rt *libcontain.Runtime) error {
		if err := checkArgs(c, 1, minArgs); err != nil {
			return err
		}
		if err := checkArgs(c, 2, maxArgs); err != nil {
			return err
		}
		sig := unix.SIGTERM
		if c.NArg() == 2 {
			var err error
			if sig, err = parseSignal(c.Args().Get(1)); err != nil {
				return err
			}
		}
		ct, err := libcontain.Load(rt, c.Args().First())
		if err != nil {
			return err
		}
		return ct.Signal(sig, c.Bool("all"))
	}),
}

// parseSignal accepts numbers (9; 0 only checks that init is alive, as kill(2)) and names with
// or without SIG (KILL, SIGKILL, kill).
func parseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 || n > 64 {
			return 0, fmt.Errorf("invalid signal %q", s)
		}
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("unknown signal %q", s)
}

var deleteCommand = &cli.Command{
	Name: "delete", Usage: "delete a container", ArgsUsage: "<container-id>",
	Flags: []cli.Flag{&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "kill the container first if it runs"}},
	Action: action(func(c *cli.Context, rt *libcontain.Runtime) error {
		if err := checkArgs(c, 1, exactArgs); err != nil {
			return err
		}
		ct, err := libcontain.Load(rt, c.Args().First())
		if err != nil {
			// containerd's second shim runs `delete --force` after the container is gone: that
			// must succeed.
			if c.Bool("force") && errors.Is(err, libcontain.ErrNotExist) {
				return nil
			}
			return err
		}
		err = ct.Delete(c.Bool("force"))
		if c.Bool("force") && errors.Is(err, libcontain.ErrNotExist) {
			return nil
		}
		return err
	}),
}

// withContainer is the shape of every command that takes exactly one existing container id.
func withContainer(fn func(c *cli.Context, ct *libcontain.Container) error) cli.ActionFunc {
	return action(func(c *cli.Context, rt *libcontain.Runtime) error {
		if err := checkArgs(c, 1, exactArgs); err != nil {
			return err
		}
		ct, err := libcontain.Load(rt, c.Args().First())
		if err != nil {
			return err
		}
		return fn(c, ct)
	})
}

func printJSON(c *cli.Context, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(c.App.Writer, string(b))
	return err
}

var initCommand = &cli.Command{
	Name: "init", Hidden: true, Usage: "the container's init (internal)",
	Action: func(c *cli.Context) error {
		runInit()
		return nil
	},
}

// runInit is `contain init`; it returns only by exiting (or, on success, by execve).
func runInit() {
	if err := initproc.Init(); err != nil {
		os.Exit(1)
	}
	os.Exit(0)
}

func jsonIndent(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "\t")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
