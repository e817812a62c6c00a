package initproc

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// exec is the child of `contain exec`: nsenter has put us in the container's namespaces; there is
// nothing to mount, only a console, the process's identity and the execve.
func (in *initProc) exec() (string, error) {
	if in.cfg.Spec.Process.Terminal {
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
		if err := checkCwd(); err != nil {
			return "", "change to cwd", fmt.Errorf("%s: %w", p.Cwd, err)
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

// execve replaces us with the container's process; it returns only to exit 127. Every fd from
// fdBase up (all above 2 but the preserved ones) is marked close-on-exec first (CVE-2024-21626:
// a leaked runtime fd, e.g. of a host cgroup dir, lets the container escape), whatever opened it
// and however.
func (in *initProc) execve(path string) {
	p := in.cfg.Spec.Process
	err := markCloexec(in.fdBase)
	if err == nil {
		env := p.Env
		if !hasEnv(env, "HOME") {
			home := "/"
			if p.User.UID == 0 {
				home = "/root"
			}
			env = append(env, "HOME="+home)
		}
		if err = unix.Exec(path, p.Args, env); err != nil {
			err = fmt.Errorf("exec %s: %w", path, err)
		}
	}
	fmt.Fprintln(os.Stderr, "contain:", err)
	os.Exit(127)
}

// lookPath finds args[0] in the container (we have pivoted), with the container's PATH. The error
// keeps "no such file or directory" / "executable file not found": podman maps it to exit 127.
func lookPath(p *specs.Process) (string, error) {
	if len(p.Args) == 0 {
		return "", errors.New("process.args is empty")
	}
	name := p.Args[0]
	if strings.Contains(name, "/") {
		if _, err := os.Stat(name); err != nil {
			return "", fmt.Errorf("exec %q: %w", name, errors.Unwrap(err))
		}
		return name, nil
	}
	path := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, e := range p.Env {
		if v, ok := strings.CutPrefix(e, "PATH="); ok {
			path = v
		}
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		f := filepath.Join(dir, name)
		if st, err := os.Stat(f); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return f, nil
		}
	}
	return "", fmt.Errorf("exec: %q: %w", name, exec.ErrNotFound)
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

func hasEnv(env []string, key string) bool {
	for _, e := range env {
		if strings.HasPrefix(e, key+"=") {
			return true
		}
	}
	return false
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
