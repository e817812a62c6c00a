package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/contain-runtime/contain/libcontain"
	"github.com/contain-runtime/contain/libcontain/rootfs"
	"github.com/contain-runtime/contain/libcontain/sandbox"
	"github.com/contain-runtime/contain/spec"
	"github.com/contain-runtime/contain/state"
)

// quickFlags are `run --rootfs`'s: the one-line container of a teaching runtime. The presence of
// --rootfs selects this form; `run [--bundle B] ID` stays the OCI one.
func quickFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "rootfs", Usage: "quick mode: run CMD in this root filesystem (no bundle needed)"},
		&cli.StringFlag{Name: "memory", Usage: "quick mode: memory limit (64M, 1G, 512K or bytes)"},
		&cli.StringFlag{Name: "cpu", Usage: "quick mode: CPU quota in µs per 100000 (50000 = half a CPU)"},
		&cli.StringFlag{Name: "cpus", Usage: "quick mode: CPUs (1.5 = one and a half)"},
		&cli.StringFlag{Name: "pids", Usage: "quick mode: most processes at once"},
		&cli.StringFlag{Name: "hostname", Usage: "quick mode: hostname inside"},
		&cli.StringFlag{Name: "name", Usage: "quick mode: container id (default: generated)"},
		&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "quick mode: KEY=VALUE (repeatable)"},
		&cli.StringSliceFlag{Name: "volume", Aliases: []string{"v"}, Usage: "quick mode: HOST:CONTAINER[:ro] (relative HOST: in the sandbox)"},
		&cli.StringFlag{Name: "workdir", Aliases: []string{"w"}, Usage: "quick mode: working directory inside"},
		&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "quick mode: UID[:GID]"},
		&cli.BoolFlag{Name: "read-only", Usage: "quick mode: read-only root"},
		&cli.BoolFlag{Name: "overlay", Value: true, Usage: "quick mode: copy-on-write layer in the sandbox; --overlay=false writes through"},
		&cli.StringFlag{Name: "net", Value: "none", Usage: "quick mode: none (own netns, lo up) or host"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "quick mode: no [contain] lines"},
	}
}

// quickRun is `contain run --rootfs DIR [flags] -- CMD [ARGS...]`.
func quickRun(c *cli.Context, rt *libcontain.Runtime) error {
	q, err := parseQuick(c)
	if err != nil {
		return err
	}
	// The spec first: a bad --env or --workdir must fail before anything is made.
	// --volume is the io.contain.volumes isolator: one machinery for quick mode and bundles.
	if len(q.volumes) > 0 {
		q.opts.Annotations = map[string]string{spec.AnnotationVolumes: strings.Join(q.volumes, ",")}
	}
	s, err := spec.Quick(q.opts)
	if err != nil {
		return err
	}
	if rt.Rootless {
		uidMaps, gidMaps, err := libcontain.RootlessIDMaps()
		if err != nil {
			return err
		}
		spec.QuickRootless(s, uidMaps, gidMaps)
	}
	if _, err := libcontain.Load(rt, q.name); err == nil {
		return fmt.Errorf("%w: %s", libcontain.ErrExist, q.name)
	}
	sb, err := sandbox.Create(rt.WorkDir, q.name, time.Now())
	if err != nil {
		return err
	}
	code, err := q.run(rt, sb, s)
	if err != nil {
		// Nothing of a run that never started may stay behind.
		_ = sb.Remove(rt.WorkDir)
		return err
	}
	if code != 0 {
		return exitCoder{code}
	}
	return nil
}

type quick struct {
	name    string
	opts    spec.QuickOptions
	volumes []string
	overlay bool
	detach  bool
	out     io.Writer // progress lines; io.Discard with --quiet
	// preserveFds: the caller's fds from 3 that go into the container (--preserve-fds).
	preserveFds int
}

func parseQuick(c *cli.Context) (*quick, error) {
	fds, err := preserveFds(c)
	if err != nil {
		return nil, err
	}
	q := &quick{overlay: c.Bool("overlay"), detach: c.Bool("detach"), out: c.App.ErrWriter, preserveFds: fds}
	if c.Bool("quiet") {
		q.out = io.Discard
	}
	o := &q.opts
	o.Args = c.Args().Slice()
	if len(o.Args) == 0 {
		return nil, errors.New("no command given: contain run --rootfs DIR [flags] -- CMD [ARGS...]")
	}
	dir := c.String("rootfs")
	abs, err := filepath.Abs(dir)
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil {
		return nil, fmt.Errorf("rootfs %q does not exist", dir)
	}
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("rootfs %q is not a directory", dir)
	}
	o.Rootfs = abs
	if c.IsSet("memory") {
		if o.Memory, err = spec.ParseSize(c.String("memory")); err != nil {
			return nil, fmt.Errorf("--memory: %w", err)
		}
		if o.Memory <= 0 {
			return nil, fmt.Errorf("--memory: %q is not a positive size", c.String("memory"))
		}
	}
	if c.IsSet("cpu") && c.IsSet("cpus") {
		return nil, errors.New("--cpu and --cpus say the same thing: give one")
	}
	if c.IsSet("cpu") {
		v, err := strconv.ParseInt(c.String("cpu"), 10, 64)
		if err != nil || v < 1000 || v > 1000*spec.CPUPeriod {
			return nil, fmt.Errorf("invalid --cpu %q: want microseconds of CPU per %d, from 1000 (50000 = half a CPU)", c.String("cpu"), spec.CPUPeriod)
		}
		o.CPUQuota = v
	}
	if c.IsSet("cpus") {
		if o.CPUQuota, err = spec.ParseCPUs(c.String("cpus")); err != nil {
			return nil, err
		}
	}
	if c.IsSet("pids") {
		v, err := strconv.ParseInt(c.String("pids"), 10, 64)
		if err != nil || v < 1 {
			return nil, fmt.Errorf("invalid --pids %q: want a positive number of processes", c.String("pids"))
		}
		o.Pids = v
	}
	o.Hostname = c.String("hostname")
	o.Env = c.StringSlice("env")
	o.Workdir = c.String("workdir")
	if u := c.String("user"); u != "" {
		if o.UID, o.GID, err = parseUser(u); err != nil {
			return nil, err
		}
	}
	o.ReadOnly = c.Bool("read-only")
	switch c.String("net") {
	case "none":
	case "host":
		o.NetHost = true
	default:
		return nil, fmt.Errorf("invalid --net %q: want none or host", c.String("net"))
	}
	for _, v := range c.StringSlice("volume") {
		if _, err := spec.ParseVolume(v); err != nil {
			return nil, err
		}
		q.volumes = append(q.volumes, v)
	}
	o.Terminal = !q.detach && term.IsTerminal(int(os.Stdin.Fd()))
	q.name = c.String("name")
	if q.name == "" {
		q.name = fmt.Sprintf("c-%x", time.Now().UnixNano()&0xffffffffff)
	}
	if err := state.ValidateID(q.name); err != nil {
		return nil, err
	}
	o.CgroupsPath = spec.QuickCgroupsPath(q.name)
	return q, nil
}

// parseUser reads --user UID[:GID] (numeric: the rootfs's passwd is not consulted).
func parseUser(s string) (uid, gid uint32, err error) {
	us, gs, hasGID := strings.Cut(s, ":")
	u, err := strconv.ParseUint(us, 10, 32)
	if err != nil {
		return 0, 0, fmt.Errorf("invalid --user %q: want UID[:GID], numeric", s)
	}
	g := u
	if hasGID {
		if g, err = strconv.ParseUint(gs, 10, 32); err != nil {
			return 0, 0, fmt.Errorf("invalid --user %q: want UID[:GID], numeric", s)
		}
	}
	return uint32(u), uint32(g), nil
}

func (q *quick) progress(msg string) { fmt.Fprintf(q.out, "[contain] %s\n", msg) }

func (q *quick) run(rt *libcontain.Runtime, sb *sandbox.Sandbox, s *specs.Spec) (int, error) {
	// With the systemd driver the container is the unit <prefix>-<name>.scope of the default
	// slice instead of a dir in the shared contain/ group.
	group := !rt.SystemdCgroup
	if rt.SystemdCgroup {
		s.Linux.CgroupsPath = ""
	}
	co := libcontain.CreateOpts{ID: q.name, Bundle: sb.Dir, Spec: s, Progress: q.progress, OnExit: q.report, Usage: true, Sandbox: sb, CgroupGroup: group, PreserveFds: q.preserveFds}
	if q.overlay {
		upper, err := sb.Mkdir(sandbox.OverlayDir+"/upper", 0o755)
		if err != nil {
			return -1, err
		}
		work, err := sb.Mkdir(sandbox.OverlayDir+"/work", 0o700)
		if err != nil {
			return -1, err
		}
		co.Overlay = &rootfs.Overlay{Upper: upper, Work: work}
	}
	return libcontain.Run(rt, co, q.detach)
}

// report prints the exit line and the usage table, in the seed's words.
func (q *quick) report(e libcontain.Exit) {
	line := "container exited: " + e.Status
	if e.Reason != "" {
		line += " (" + e.Reason + ")"
	}
	q.progress(line)
	if u := e.Usage; u != nil {
		q.progress(fmt.Sprintf("usage: peak memory %s, cpu time %s, peak pids %d, oom kills %d",
			libcontain.HumanBytes(u.PeakMemory), u.CPUTime.Round(time.Millisecond), u.PeakPids, u.OOMKills))
	}
}
