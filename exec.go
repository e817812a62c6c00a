package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"github.com/contain-runtime/contain/libcontain"
	"github.com/contain-runtime/contain/libcontain/initproc"
	"github.com/contain-runtime/contain/spec"
)

var execCommand = &cli.Command{
	Name: "exec", Usage: "run a process in a created or running container",
	ArgsUsage: "<container-id> [command [args...]]",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "process", Aliases: []string{"p"}, Usage: "process.json: the whole process (args, env, user, caps...)"},
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "return once the process runs"},
		&cli.StringFlag{Name: "pid-file", Usage: "write the process's pid to this file"},
		&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "allocate a pseudo-terminal"},
		&cli.StringFlag{Name: "console-socket", Usage: "unix socket that receives the pty master"},
		&cli.StringFlag{Name: "cwd", Usage: "working directory inside the container"},
		&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "KEY=VALUE to add (repeatable)"},
		&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "UID[:GID]"},
		&cli.StringSliceFlag{Name: "additional-gids", Aliases: []string{"g"}, Usage: "supplementary group ids"},
		&cli.StringSliceFlag{Name: "cap", Aliases: []string{"c"}, Usage: "add a capability (CAP_NET_ADMIN)"},
		&cli.BoolFlag{Name: "no-new-privs", Usage: "set no_new_privs for the process"},
		&cli.IntFlag{Name: "preserve-fds", Usage: "number of extra fds (from 3) to pass into the process"},
		&cli.BoolFlag{Name: "ignore-paused", Usage: "exec into a paused container too (the process starts once it is resumed)"},
		&cli.StringSliceFlag{Name: "cgroup", Usage: "run in an existing sub-cgroup: PATH (all hierarchies, v2) or CONTROLLER[,CONTROLLER]:PATH (v1)"},
		&cli.StringFlag{Name: "pidfd-socket", Usage: "unix socket that receives a pidfd of the process"},
	},
	Action: action(func(c *cli.Context, rt *libcontain.Runtime) error {
		if err := checkArgs(c, 1, minArgs); err != nil {
			return err
		}
		code, err := execAction(c, rt)
		if err != nil {
			// Like runc's: a failure on the runtime's side exits 255, which no process's own
			// exit status can be mistaken for by a client that reads it as the process's.
			return exitError{fmt.Errorf("exec failed: %w", err), 255}
		}
		if code != 0 {
			return exitCoder{code}
		}
		return nil
	}),
}

// execAction runs the process and returns its exit status (0 when detached).
func execAction(c *cli.Context, rt *libcontain.Runtime) (int, error) {
	ct, err := libcontain.Load(rt, c.Args().First())
	if err != nil {
		return -1, err
	}
	p, cfg, err := execProcess(c, ct)
	if err != nil {
		return -1, err
	}
	fds, err := preserveFds(c)
	if err != nil {
		return -1, err
	}
	sub, err := parseSubCgroups(c.StringSlice("cgroup"))
	if err != nil {
		return -1, err
	}
	return ct.Exec(libcontain.ExecOpts{
		Process: p, Detach: c.Bool("detach"), PidFile: c.String("pid-file"), ConsoleSocket: c.String("console-socket"),
		PreserveFds: fds, IgnorePaused: c.Bool("ignore-paused"), SubCgroups: sub, PidfdSocket: c.String("pidfd-socket"),
		Config: cfg,
		// The child side's setup, for an exec that a runtime thread can do (libcontain's
		// execthread.go): main links both sides, libcontain imports only its own.
		OnThread: initproc.BecomeOnThread,
	})
}

// parseSubCgroups reads --cgroup as runc does: one PATH for every hierarchy (cgroup v2's one),
// or CONTROLLER[,CONTROLLER]:PATH for each of some cgroup v1 hierarchies.
func parseSubCgroups(args []string) (map[string]string, error) {
	if len(args) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(args))
	for _, a := range args {
		ctrls, p, ok := strings.Cut(a, ":")
		if !ok {
			if len(args) != 1 {
				return nil, fmt.Errorf("invalid --cgroup argument: %s (missing <controller>: prefix)", a)
			}
			out[""] = a
			continue
		}
		for _, ctrl := range strings.Split(ctrls, ",") {
			if ctrl == "" {
				return nil, fmt.Errorf("invalid --cgroup argument: %s (empty <controller> prefix)", a)
			}
			if _, dup := out[ctrl]; dup {
				return nil, fmt.Errorf("invalid --cgroup argument(s): controller %s specified multiple times", ctrl)
			}
			out[ctrl] = p
		}
	}
	return out, nil
}

// execProcess is --process as given, or the container's own process with the command line
// and the flags laid over it (runc's rules); then it returns the container's config as well,
// which Exec need not read again.
func execProcess(c *cli.Context, ct *libcontain.Container) (*specs.Process, *specs.Spec, error) {
	if path := c.String("process"); path != "" {
		b, err := spec.ReadInput(path, "process file", spec.MaxInputSize)
		if err != nil {
			return nil, nil, err
		}
		p := new(specs.Process)
		if err := json.Unmarshal(b, p); err != nil {
			return nil, nil, fmt.Errorf("parse process file: %w", err)
		}
		if len(p.Args) == 0 {
			return nil, nil, fmt.Errorf("process file %s has no args", path)
		}
		return p, nil, nil
	}
	if c.NArg() < 2 {
		return nil, nil, fmt.Errorf(`"exec" requires a command after the container id, or --process`)
	}
	cfg, err := ct.Config()
	if err != nil {
		return nil, nil, err
	}
	p := &specs.Process{Cwd: "/"}
	if cfg.Process != nil {
		cp := *cfg.Process
		p = &cp
		p.Env = append([]string(nil), cfg.Process.Env...)
	}
	p.Args = c.Args().Tail()
	p.Terminal = c.Bool("tty")
	p.Env = append(p.Env, c.StringSlice("env")...)
	if c.IsSet("cwd") {
		p.Cwd = c.String("cwd")
	}
	if u := c.String("user"); u != "" {
		uid, gid, err := parseUser(u)
		if err != nil {
			return nil, nil, err
		}
		p.User.UID, p.User.GID = uid, gid
	}
	for _, g := range c.StringSlice("additional-gids") {
		n, err := strconv.ParseUint(g, 10, 32)
		if err != nil {
			return nil, nil, fmt.Errorf("invalid --additional-gids %q: want a number", g)
		}
		p.User.AdditionalGids = append(p.User.AdditionalGids, uint32(n))
	}
	if caps := c.StringSlice("cap"); len(caps) > 0 {
		pc := specs.LinuxCapabilities{}
		if p.Capabilities != nil {
			pc = *p.Capabilities
		}
		for _, cp := range caps {
			cp = strings.ToUpper(cp)
			if !strings.HasPrefix(cp, "CAP_") {
				cp = "CAP_" + cp
			}
			// As runc: bounding, effective and permitted. Not inheritable, so ambient only
			// where the process has an inheritable set already (the kernel raises an ambient
			// capability only if it is inheritable too).
			pc.Bounding = append(pc.Bounding, cp)
			pc.Effective = append(pc.Effective, cp)
			pc.Permitted = append(pc.Permitted, cp)
			if pc.Inheritable != nil {
				pc.Ambient = append(pc.Ambient, cp)
			}
		}
		p.Capabilities = &pc
	}
	if c.IsSet("no-new-privs") {
		p.NoNewPrivileges = c.Bool("no-new-privs")
	}
	return p, cfg, nil
}
