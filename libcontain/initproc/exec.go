package initproc

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/internal/protocol"
	"github.com/contain-runtime/contain/libcontain/timerslack"
)

// exec is the child of `contain exec`: nsenter has put us in the container's namespaces; there is
// nothing to mount, only a console, the process's identity and the execve.
func (in *initProc) exec() (string, error) {
	in.log.Debug("exec: joined the container", "pid", os.Getpid())
	if in.cfg.Spec.Process.Terminal {
		in.log.Debug("exec: setting up the console")
		if op, err := in.console(false); err != nil {
			return op, err
		}
	}
	path, op, err := in.finishSetup()
	if err != nil {
		return op, err
	}
	in.execve(path)
	return "", nil
}

// becomeProcess turns init into the container's process, short of execve: seccomp, user and
// capabilities, cwd, environment; it returns the executable's path. create and exec share it.
func (in *initProc) becomeProcess() (string, string, error) {
	s, cfg := in.cfg.Spec, in.cfg
	// Before any seccomp profile, which may refuse prctl.
	if cfg.HugePages {
		if err := unix.Prctl(unix.PR_SET_THP_DISABLE, 0, 0, 0, 0); err != nil {
			return "", "turn transparent huge pages back on", os.NewSyscallError("prctl", err)
		}
	}
	// Seal our fds now: once a profile is loaded, close_range may be refused.
	if err := markCloexec(in.fdBase); err != nil {
		return "", "mark fds close-on-exec", err
	}
	path, env, op, err := becomeUser(s, in.log, func() error { return in.loadFilters(cfg.Seccomp) }, false)
	in.env = env
	return path, op, err
}

// becomeUser is the part of becoming the process that runs on the thread that will execve or
// fork it: cwd, environment, user and capabilities, and the executable's path. load loads the
// seccomp filters; it is called once, where the profile must be loaded (see below). savedRoot
// is setupUser's.
func becomeUser(s *specs.Spec, log *slog.Logger, load func() error, savedRoot bool) (path string, env []string, op string, err error) {
	p := s.Process
	// The cwd is entered while we are still root with every capability (the process's user may
	// not be allowed in, exec --user 0 into a cwd only its owner may enter), and again as the
	// process's user if root was refused (a directory only that user may enter), as runc does.
	// The first chdir and its check come before any profile is loaded: a profile that refuses
	// getcwd (runtime-tools' linux_seccomp) must not make the check fail. runc loads it first.
	chdirLater := false
	if p.Cwd != "" {
		err := unix.Chdir(p.Cwd)
		if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
			chdirLater = true
		} else if err != nil {
			return "", nil, "change to cwd", fmt.Errorf("chdir to cwd (%q) set in config.json failed: %w", p.Cwd, err)
		} else if err := checkCwd(); err != nil {
			return "", nil, "change to cwd", fmt.Errorf("%s: %w", p.Cwd, err)
		}
	}
	// Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load before dropping it.
	// With it, load as late as possible, so the profile governs as little of init as can be.
	if !p.NoNewPrivileges {
		if err := load(); err != nil {
			return "", nil, "load seccomp filter", err
		}
	}
	// The environment is built in the container, from its /etc/passwd (runc issue 4688).
	if env, err = processEnv(p.Env, int(p.User.UID), openPasswd); err != nil {
		return "", nil, "prepare environment", err
	}
	log.Debug("setting up user", "uid", p.User.UID, "gid", p.User.GID)
	fixStdioOwner(int(p.User.UID))
	warnings, err := setupUser(p, s, savedRoot)
	if err != nil {
		return "", nil, "set user", err
	}
	for _, w := range warnings {
		log.Warn(w)
	}
	if chdirLater {
		if err := unix.Chdir(p.Cwd); err != nil {
			return "", nil, "change to cwd", fmt.Errorf("chdir to cwd (%q) set in config.json failed: %w", p.Cwd, err)
		}
		if err := checkCwd(); err != nil {
			return "", nil, "change to cwd", fmt.Errorf("%s: %w", p.Cwd, err)
		}
	}
	// The executable is looked up now, so that a missing or non-executable one fails create
	// (runc's words: exec: "sh": executable file not found in $PATH), with the process's PATH
	// only: runc has no fallback.
	if path, err = lookPath(p.Args, env); err != nil {
		return "", nil, "find executable", err
	}
	if p.NoNewPrivileges {
		if err := load(); err != nil {
			return "", nil, "load seccomp filter", err
		}
	}
	return path, env, "", nil
}

// execve replaces us with the container's process. If execve fails (a script without "#!":
// ENOEXEC), it prints runc's words ("exec /x: exec format error") on the process's stderr and
// exits 255, as runc 1.5.3's init does: that is the container's exit status. Every fd from
// fdBase up (all above 2 but the preserved ones) is marked close-on-exec first (CVE-2024-21626:
// a leaked runtime fd, e.g. of a host cgroup dir, lets the container escape), whatever opened it
// and however. Signals the runtime's caller ignored get their default handling back, and the
// thread the timer slack of the runtime's caller (package timerslack).
func (in *initProc) execve(path string) {
	p := in.cfg.Spec.Process
	err := markCloexec(in.fdBase)
	if err == nil {
		in.log.Debug("exec " + path)
		resetSignals()
		// The slack is the exec'ing thread's, kept across execve: lock the goroutine to the
		// thread that gets it back.
		runtime.LockOSThread()
		err = timerslack.Restore(in.cfg.TimerSlack)
	}
	if err == nil {
		if err = unix.Exec(path, p.Args, in.env); err != nil {
			err = fmt.Errorf("exec %s: %w", path, err)
		}
	}
	fmt.Fprintln(os.Stderr, err)
	os.Exit(protocol.ExecFailedStatus)
}

// lookPath finds args[0] in the container (we have pivoted) as execve will see it, with the PATH
// of env (none: a bare name is not found), and checks that it is executable: os/exec's rules
// and words ("permission denied", "is a directory", "executable file not found in $PATH"),
// which engines map to exit statuses 126 and 127.
func lookPath(args, env []string) (string, error) {
	if len(args) == 0 {
		return "", errors.New("process.args is empty")
	}
	path, ok := "", false
	for _, e := range env {
		if v, found := strings.CutPrefix(e, "PATH="); found {
			path, ok = v, true
		}
	}
	var err error
	if ok {
		err = os.Setenv("PATH", path)
	} else {
		err = os.Unsetenv("PATH")
	}
	if err != nil {
		return "", err
	}
	name, err := exec.LookPath(args[0])
	if errors.Is(err, exec.ErrDot) {
		err = nil // a relative PATH entry is the config's choice, as it is for runc
	}
	return name, err
}

// fixStdioOwner gives stdin, stdout and stderr to the process's user (not /dev/null, and only
// the owner: a pty's group is devpts' gid=), so it can use its terminal, as runc does. A file it
// may not chown (another user namespace's, a read-only mount) is left as it is.
func fixStdioOwner(uid int) {
	for fd := 0; fd < 3; fd++ {
		var st unix.Stat_t
		if unix.Fstat(fd, &st) != nil || int(st.Uid) == uid {
			continue
		}
		if st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == unix.Mkdev(1, 3) {
			continue // /dev/null
		}
		_ = unix.Fchown(fd, uid, -1)
	}
}

// markCloexec marks every fd from `from` up close-on-exec. close_range does it in one call;
// where a seccomp profile that predates it refuses it (runtime-tools' default profile does),
// walk /proc/self/fd with fcntl, which every profile allows.
func markCloexec(from int) error {
	if err := unix.CloseRange(uint(from), ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err == nil {
		return nil
	}
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return fmt.Errorf("list fds: %w", err)
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("list fds: %w", err)
	}
	for _, n := range names {
		fd, err := strconv.Atoi(n)
		if err != nil || fd < from || fd == int(d.Fd()) {
			continue
		}
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil && err != unix.EBADF {
			return os.NewSyscallError("fcntl F_SETFD", err)
		}
	}
	return nil
}

// checkCwd makes sure the working directory is inside the container's root. A cwd reached
// through an fd the runtime still held (process.cwd "/proc/self/fd/N", CVE-2024-21626) can be a
// directory the container's root does not contain; getcwd then answers with a path that does
// not start at "/" ("(unreachable)/..."), which unix.Getwd turns into ENOENT. runc checks the
// same after its chdir.
func checkCwd() error {
	wd, err := unix.Getwd()
	if err != nil {
		return fmt.Errorf("working directory is outside the container's root: %w", os.NewSyscallError("getcwd", err))
	}
	if !strings.HasPrefix(wd, "/") {
		return fmt.Errorf("working directory %q is outside the container's root", wd)
	}
	return nil
}
