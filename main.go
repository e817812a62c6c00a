// Command contain is an OCI container runtime with runc's command line.
//
// Go 1.25+ sizes GOMAXPROCS from the cgroup CPU limit: before main it reads /proc/self/cgroup,
// /proc/self/mountinfo and the CPU quota files, keeps those open and re-reads them in the
// background. A container start runs this binary twice (runtime and init), for a few ms each,
// and init would carry open fds of a host cgroup into the container until it seals them. The
// runtime's work is short and mostly on one thread: the CPU count is enough.
//
//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0
package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain"
	// nsenter joins existing namespaces before the Go runtime starts (a cgo constructor that
	// does nothing unless asked): init and exec need it for mount, pid and user namespaces.
	_ "github.com/contain-runtime/contain/libcontain/nsenter"
	// libcshim: what libseccomp.a needs of a C library and musl lacks (the Makefile's build).
	_ "github.com/contain-runtime/contain/libcontain/libcshim"
	// prefault maps the binary's code in one call before the Go runtime starts (a constructor).
	_ "github.com/contain-runtime/contain/libcontain/prefault"
	"github.com/contain-runtime/contain/libcontain/sandbox"
)

// Set at build time by the Makefile (-ldflags -X).
var (
	version   = "unknown"
	gitCommit = "unknown"
)

func init() {
	// The container's init must do its namespace joins, capability changes and execve on one
	// OS thread (those are per-thread in Linux); lock main to it before the runtime starts more.
	// (Its GOMAXPROCS=1 comes in its environment: protocol.ChildEnv.)
	if len(os.Args) > 1 && os.Args[1] == "init" {
		runtime.LockOSThread()
	}
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == libcontain.UsernsHoldArg {
		libcontain.HoldUserns() // a rootless launch's user namespace, until init has joined it
	}
	if len(os.Args) > 1 && os.Args[1] == "init" {
		// The launcher starts init as `contain init`: straight there, without building the
		// command line app the container's startup would wait for.
		runInit()
	}
	inherited := 0
	if len(os.Args) < 2 || os.Args[1] != "init" {
		// Whatever the caller left open beyond stdio (containerd leaves a socket on fd 3) must
		// reach neither hooks nor the container: mark it close-on-exec before anything runs.
		// init is exempt: its fds 3-5 are the protocol and it seals them itself.
		inherited = inheritedFds()
		_ = unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
	}
	app := newApp(os.Stderr)
	app.Metadata = map[string]any{inheritedFdsKey: inherited}
	fixFlagNames(app, os.Args)
	if err := app.Run(reorderArgs(app, os.Args)); err != nil {
		var ec cli.ExitCoder
		if errors.As(err, &ec) && ec.ExitCode() != 0 {
			os.Exit(ec.ExitCode())
		}
		os.Exit(1)
	}
}

func newApp(stderr io.Writer) *cli.App {
	app := &cli.App{
		Name:    "contain",
		Usage:   "an OCI container runtime",
		Version: version,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "root", Value: "/run/contain", Usage: "directory for container state"},
			&cli.StringFlag{Name: "log", Usage: "log file (default: stderr)"},
			&cli.StringFlag{Name: "log-format", Value: "text", Usage: "log format: text or json"},
			&cli.BoolFlag{Name: "debug", Usage: "log debug messages"},
			&cli.BoolFlag{Name: "systemd-cgroup", Usage: "manage cgroups through systemd"},
			&cli.StringFlag{Name: "work-dir", Value: sandbox.DefaultWorkDir, EnvVars: []string{"CONTAIN_WORK_DIR"}, Usage: "directory for per-container sandboxes"},
			// urfave adds --help itself only when the app has no help command of its own.
			cli.HelpFlag,
		},
		Commands: []*cli.Command{
			createCommand, startCommand, stateCommand, killCommand, deleteCommand, runCommand,
			listCommand, psCommand, pauseCommand, resumeCommand, specCommand, featuresCommand,
			execCommand, eventsCommand, updateCommand, checkpointCommand, restoreCommand, initCommand,
			monitorCommand, serveCommand, gcCommand, helpCommand,
		},
		// Our own help command (below) replaces urfave's, which prints nothing for an unknown
		// topic under our ExitErrHandler.
		HideHelpCommand: true,
		// A first argument that names no command: runc's words and exit status.
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return cli.ShowAppHelp(c)
			}
			return noHelpTopic(c, c.Args().First())
		},
		ErrWriter: stderr,
		// Errors are reported once, by exitWith; keep urfave from printing them again.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			fmt.Fprintln(c.App.ErrWriter, "contain:", err)
			return usageError(err.Error())
		},
	}
	cli.VersionPrinter = func(c *cli.Context) {
		fmt.Fprintf(c.App.Writer, "contain version %s\ncommit: %s\nspec: %s\ngo: %s\n",
			version, gitCommit, specs.Version, runtime.Version())
	}
	// A refused global flag is reported like any failed command (one line on stderr, an error
	// line in --log for containerd): urfave would otherwise exit 1 saying nothing.
	app.Before = func(c *cli.Context) error {
		err := checkGlobalFlags(c)
		if err == nil {
			return nil
		}
		log, closeLog, logErr := logger(c)
		if logErr != nil {
			return exitWith(c, nil, err)
		}
		defer closeLog()
		return exitWith(c, log, err)
	}
	return app
}

func checkGlobalFlags(c *cli.Context) error {
	switch c.String("log-format") {
	case "text", "json":
	default:
		return fmt.Errorf("invalid --log-format %q: want text or json", c.String("log-format"))
	}
	return nil
}

// logger builds the one logger of a command from the global flags. JSON lines carry time,
// level and msg with lower-case levels: containerd reports the msg of the last "error" line of
// the log as the reason a call failed.
func logger(c *cli.Context) (*slog.Logger, func(), error) {
	w, closeFn := io.Writer(os.Stderr), func() {}
	if p := c.String("log"); p != "" {
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_SYNC|unix.O_CLOEXEC, 0o644)
		if err != nil {
			return nil, nil, fmt.Errorf("open log file: %w", err)
		}
		w, closeFn = f, func() { f.Close() }
	}
	level := slog.LevelInfo
	if c.Bool("debug") {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: libcontain.LowerLevel}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if c.String("log-format") == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(h), closeFn, nil
}

// action wraps a command: it builds the logger and runtime, runs fn, and on failure logs the
// error at error level (to --log) and prints it as one line on stderr, exiting non-zero.
func action(fn func(c *cli.Context, rt *libcontain.Runtime) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		log, closeLog, err := logger(c)
		if err != nil {
			return exitWith(c, nil, err)
		}
		defer closeLog()
		rt, err := newRuntime(c, log)
		if err == nil {
			err = fn(c, rt)
		}
		return exitWith(c, log, err)
	}
}

// exitCoder lets `run` exit with the container's status without that being an error.
type exitCoder struct{ code int }

func (e exitCoder) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// exitError is a failure that exits with code instead of 1.
type exitError struct {
	err  error
	code int
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }

func exitWith(c *cli.Context, log *slog.Logger, err error) error {
	if err == nil {
		return nil
	}
	var ec exitCoder
	if errors.As(err, &ec) {
		os.Exit(ec.code)
	}
	if log != nil && c.String("log") != "" {
		log.Error(err.Error())
	}
	fmt.Fprintln(c.App.ErrWriter, "contain:", err)
	code := 1
	var xe exitError
	if errors.As(err, &xe) {
		code = xe.code
	}
	return cli.Exit("", code)
}

// helpCommand is runc's `help [command]`.
var helpCommand = &cli.Command{
	Name: "help", Aliases: []string{"h"}, Usage: "show the commands, or the help of one command",
	ArgsUsage: "[command]", HideHelpCommand: true,
	Action: func(c *cli.Context) error {
		if c.NArg() == 0 {
			return cli.ShowAppHelp(c)
		}
		name := c.Args().First()
		if findCommand(c.App, name) == nil {
			return noHelpTopic(c, name)
		}
		// The app's context: ShowCommandHelp looks the name up among its context's commands.
		return cli.ShowCommandHelp(c.Lineage()[1], name)
	},
}

// noHelpTopic is runc's answer to a name that is no command: one line, exit status 3.
func noHelpTopic(c *cli.Context, name string) error {
	fmt.Fprintf(c.App.ErrWriter, "contain: No help topic for '%s'\n", name)
	return cli.Exit("", 3)
}

type usageError string

func (u usageError) Error() string { return string(u) }

// How checkArgs counts.
const (
	exactArgs = iota
	minArgs
	maxArgs
)

// checkArgs enforces the number of positional arguments, in runc's words.
func checkArgs(c *cli.Context, n, how int) error {
	got, name := c.NArg(), c.Command.Name
	switch {
	case how == exactArgs && got != n:
		return fmt.Errorf("%q requires exactly %d argument(s)", name, n)
	case how == minArgs && got < n:
		return fmt.Errorf("%q requires a minimum of %d argument(s)", name, n)
	case how == maxArgs && got > n:
		return fmt.Errorf("%q requires a maximum of %d argument(s)", name, n)
	}
	return nil
}
