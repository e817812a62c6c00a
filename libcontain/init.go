package libcontain

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/hooks"
	"github.com/contain-runtime/contain/libcontain/rootfs"
)

// initConfig is everything init needs, sent as the `config` message.
type initConfig struct {
	Spec        *specs.Spec       `json:"spec"`
	Rootfs      string            `json:"rootfs"`
	NoPivot     bool              `json:"noPivot,omitempty"`
	CgroupPaths map[string]string `json:"cgroupPaths,omitempty"`
	State       specs.State       `json:"state"` // what createContainer/startContainer hooks get
	Debug       bool              `json:"debug,omitempty"`
	Overlay     *rootfs.Overlay   `json:"overlay,omitempty"`
	Progress    bool              `json:"progress,omitempty"` // report steps as progress log lines
	Jail        bool              `json:"jail,omitempty"`     // io.contain.jail: no new namespaces from exec on
	Exec        bool              `json:"exec,omitempty"`     // exec into a running container, not create
}

// Init is the container's init: the hidden `contain init` command, started by Create in the new
// namespaces. The caller must have locked the main goroutine to its OS thread before the Go
// runtime started others (main's init function), because namespace joins, capabilities and
// no_new_privs are per thread and must be on the thread that finally calls execve.
// Init returns only on failure.
func Init() error {
	// A session and process group of its own, as runc's init has: clients signal the
	// container's process group (conmon's --timeout kills -pgid), and it must not be theirs or
	// the runtime caller's. EPERM: already a group leader, when started as one.
	if _, err := unix.Setsid(); err != nil && err != unix.EPERM {
		fmt.Fprintln(os.Stderr, "contain: init: setsid:", err)
		return err
	}
	base, err := initFdBase()
	if err != nil {
		fmt.Fprintln(os.Stderr, "contain: init:", err)
		return err
	}
	// Nothing init runs (hooks) may inherit our protocol fds.
	for _, fd := range []int{initSyncFd, initLogFd, initFifoFd} {
		unix.CloseOnExec(base + fd)
	}
	c := newInitConn(os.NewFile(uintptr(base+initSyncFd), "sync"))
	logw := os.NewFile(uintptr(base+initLogFd), "log")
	fifo := os.NewFile(uintptr(base+initFifoFd), "exec.fifo")
	cfg, err := c.RecvConfig()
	if err != nil {
		c.Fail("receive config", err)
		return err
	}
	level := slog.LevelInfo
	if cfg.Debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewJSONHandler(logw, &slog.HandlerOptions{Level: level, ReplaceAttr: LowerLevel}))
	in := &initProc{c: c, cfg: cfg, log: log, logw: logw, fifo: fifo, fdBase: base}
	run := in.run
	if cfg.Exec {
		c.UseExecOrder()
		run = in.exec
	}
	op, err := run()
	if err != nil {
		if in.detached {
			// create has returned: the container's stderr is the only one left to tell.
			fmt.Fprintf(os.Stderr, "contain: %s: %v\n", op, err)
		} else {
			c.Fail(op, err)
			// The parent reports the error it receives on the socket as the command's final
			// error; logging it here as well would print it twice.
			log.Debug(op+": "+err.Error(), "op", op)
		}
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil // unreachable: run ends in execve
}

type initProc struct {
	c    *initConn
	cfg  *initConfig
	log  *slog.Logger
	logw *os.File
	fifo *os.File
	// fdBase is the first fd that is not the container's: 3 plus the preserved fds.
	fdBase int
	// detached: the sync socket is closed, create has returned.
	detached bool
}

// run is init's ordered setup; it returns the failing step's name with its error.
func (in *initProc) run() (string, error) {
	s, cfg := in.cfg.Spec, in.cfg
	rc := &rootfs.Config{
		Spec: s, Rootfs: cfg.Rootfs, NoPivot: cfg.NoPivot, CgroupPaths: cfg.CgroupPaths, Log: in.log,
		UserNS: hasNewNamespace(s, specs.UserNamespace), Overlay: cfg.Overlay, Progress: in.progress,
	}
	// Namespaces given by path were joined before the Go runtime started (package nsenter).
	// The parent has put us in the container's cgroups before sending the config: a new cgroup
	// namespace made now is rooted there.
	if hasNewNamespace(s, specs.CgroupNamespace) {
		if err := unix.Unshare(unix.CLONE_NEWCGROUP); err != nil {
			return "create cgroup namespace", os.NewSyscallError("unshare", err)
		}
	}
	if hasNewNamespace(s, specs.NetworkNamespace) {
		if err := loopbackUp(); err != nil {
			return "bring up loopback", err
		}
	}
	if hasNewNamespace(s, specs.UTSNamespace) {
		if s.Hostname != "" {
			in.progress("setting hostname: " + s.Hostname)
			if err := unix.Sethostname([]byte(s.Hostname)); err != nil {
				return "set hostname", os.NewSyscallError("sethostname", err)
			}
		}
		if s.Domainname != "" {
			if err := unix.Setdomainname([]byte(s.Domainname)); err != nil {
				return "set domainname", os.NewSyscallError("setdomainname", err)
			}
		}
	}
	in.progress("setting up rootfs: " + cfg.Rootfs)
	if err := rootfs.Prepare(rc); err != nil {
		return "prepare rootfs", err
	}
	if err := in.c.Hooks(); err != nil {
		return "wait for runtime hooks", err
	}
	if s.Hooks != nil {
		if err := hooks.Run(context.Background(), "createContainer", s.Hooks.CreateContainer, &cfg.State); err != nil {
			return "run createContainer hooks", err
		}
	}
	if err := rootfs.Pivot(rc); err != nil {
		return "pivot root", err
	}
	if s.Process.Terminal {
		if op, err := in.console(true); err != nil {
			return op, err
		}
	}
	if err := writeSysctls(s.Linux.Sysctl); err != nil {
		return "set sysctl", err
	}
	if err := rootfs.Finish(rc); err != nil {
		return "finish rootfs", err
	}
	p := s.Process
	path, op, err := in.finishSetup()
	if err != nil {
		return op, err
	}
	// Block until `start` opens the read side. The fifo is reached through the O_PATH fd create
	// passed, reopened via the container's /proc (as runc does): no path the container controls
	// is resolved, and it works whatever user we have become (the fifo is 0622).
	fifo, err := os.OpenFile(fmt.Sprintf("/proc/self/fd/%d", in.fifo.Fd()), os.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "open exec fifo", err
	}
	if _, err := fifo.Write([]byte{0}); err != nil {
		return "write exec fifo", err
	}
	// fifo stays open until execve closes it (O_CLOEXEC): the EOF `start` then reads tells it the
	// user's process really runs, so poststart hooks run after it, as the spec says.
	in.fifo.Close()
	if s.Hooks != nil {
		st := cfg.State
		st.Status = specs.StateCreated
		if err := hooks.Run(context.Background(), "startContainer", s.Hooks.StartContainer, &st); err != nil {
			fmt.Fprintln(os.Stderr, "contain: startContainer hook:", err)
			os.Exit(1)
		}
	}
	if err := execve(path, p, in.fdBase); err != nil {
		fmt.Fprintln(os.Stderr, "contain:", err)
		os.Exit(127)
	}
	return "", nil
}

// finishSetup is the common end of create's and exec's setup: oom_score_adj and no_new_privs,
// the `ready` rendezvous (the parent applies rlimits and, for create, saves the state), then
// becomeProcess; last it closes the socket, which tells the parent setup succeeded. From then on
// there is nobody to report to but the container's stderr.
func (in *initProc) finishSetup() (path, op string, err error) {
	p := in.cfg.Spec.Process
	if p.OOMScoreAdj != nil {
		if err := os.WriteFile("/proc/self/oom_score_adj", []byte(fmt.Sprint(*p.OOMScoreAdj)), 0); err != nil {
			return "", "set oom_score_adj", err
		}
	}
	if p.NoNewPrivileges {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return "", "set no_new_privs", os.NewSyscallError("prctl", err)
		}
	}
	if err := in.c.Ready(); err != nil {
		return "", "wait for the runtime", err
	}
	if path, op, err = in.becomeProcess(); err != nil {
		return "", op, err
	}
	in.c.Close()
	in.logw.Close()
	in.detached = true
	return path, "", nil
}

// becomeProcess turns init into the container's process, short of execve: seccomp, user and
// capabilities, cwd; it returns the executable's path. create and exec share it.
func (in *initProc) becomeProcess() (string, string, error) {
	s, cfg, p := in.cfg.Spec, in.cfg, in.cfg.Spec.Process
	filters, err := buildFilters(s, cfg.Jail)
	if err != nil {
		return "", "build seccomp filter", err
	}
	// Seal our fds now: once a profile is loaded, close_range may be refused.
	if err := markCloexec(in.fdBase); err != nil {
		return "", "mark fds close-on-exec", err
	}
	// Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load before dropping it.
	// With it, load as late as possible, so the profile governs as little of init as can be.
	if !p.NoNewPrivileges {
		if err := in.loadFilters(filters); err != nil {
			return "", "load seccomp filter", err
		}
	}
	ignored, err := setupUser(p, s)
	if err != nil {
		return "", "set user", err
	}
	if len(ignored) > 0 {
		in.log.Warn("ambient capabilities not raised (not both permitted and inheritable): " + strings.Join(ignored, ", "))
	}
	if p.Cwd != "" {
		if err := unix.Chdir(p.Cwd); err != nil {
			return "", "change to cwd", &os.PathError{Op: "chdir", Path: p.Cwd, Err: err}
		}
	}
	path, err := lookPath(p)
	if err != nil {
		return "", "find executable", err
	}
	if p.NoNewPrivileges {
		if err := in.loadFilters(filters); err != nil {
			return "", "load seccomp filter", err
		}
	}
	return path, "", nil
}

// exec is init for `contain exec`: nsenter has put us in the container's namespaces; there is
// nothing to mount, only a console, the process's identity and the execve.
func (in *initProc) exec() (string, error) {
	p := in.cfg.Spec.Process
	if p.Terminal {
		if op, err := in.console(false); err != nil {
			return op, err
		}
	}
	path, op, err := in.finishSetup()
	if err != nil {
		return op, err
	}
	if err := execve(path, p, in.fdBase); err != nil {
		fmt.Fprintln(os.Stderr, "contain:", err)
		os.Exit(127)
	}
	return "", nil
}

// console makes init's stdio a new pty and hands the master to the parent. create binds the
// pty on /dev/console too; exec leaves the container's /dev/console to its init.
func (in *initProc) console(bindDevConsole bool) (op string, err error) {
	master, err := openConsole(bindDevConsole)
	if err != nil {
		return "set up console", err
	}
	defer master.Close()
	if err := in.c.Console(master); err != nil {
		return "send console", err
	}
	return "", nil
}

// progress reports a step the user sees in quick mode; the parent prints it.
func (in *initProc) progress(msg string) {
	if in.cfg.Progress {
		in.log.Info(msg, "progress", true)
	}
}

func hasNewNamespace(s *specs.Spec, t specs.LinuxNamespaceType) bool {
	if s.Linux == nil {
		return false
	}
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == t && ns.Path == "" {
			return true
		}
	}
	return false
}

// writeSysctls writes each key under /proc/sys (kernel.shmmax → /proc/sys/kernel/shmmax). Keys
// were validated against the namespaced set at create.
func writeSysctls(sysctl map[string]string) error {
	for k, v := range sysctl {
		p := filepath.Join("/proc/sys", strings.ReplaceAll(k, ".", "/"))
		if err := os.WriteFile(p, []byte(v), 0); err != nil {
			return fmt.Errorf("%s=%s: %w", k, v, err)
		}
	}
	return nil
}

// LowerLevel renders slog levels the way containerd and podman expect in JSON logs: lower
// case, with "warning" for warn.
func LowerLevel(_ []string, a slog.Attr) slog.Attr {
	if a.Key != slog.LevelKey {
		return a
	}
	switch l := a.Value.Any().(slog.Level); {
	case l >= slog.LevelError:
		a.Value = slog.StringValue("error")
	case l >= slog.LevelWarn:
		a.Value = slog.StringValue("warning")
	case l >= slog.LevelInfo:
		a.Value = slog.StringValue("info")
	default:
		a.Value = slog.StringValue("debug")
	}
	return a
}
