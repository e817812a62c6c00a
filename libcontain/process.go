package libcontain

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// setupUser drops to the spec's user with exactly the spec's capabilities. Order matters:
// the bounding set is cut while we still hold CAP_SETPCAP; PR_SET_KEEPCAPS keeps the permitted
// set across setuid; then the five sets are applied and the umask set.
//
// The kernel raises an ambient capability only if it is both permitted and inheritable. `runc
// spec` lists ambient capabilities with no inheritable set, and runc runs that config: the
// ambient ones that cannot be raised are left out and returned, for a warning.
func setupUser(p *specs.Process, s *specs.Spec) (ignoredAmbient []string, err error) {
	caps := p.Capabilities
	if caps == nil {
		caps = &specs.LinuxCapabilities{}
	}
	c, err := capability.NewPid2(0)
	if err != nil {
		return nil, fmt.Errorf("read capabilities: %w", err)
	}
	if err := c.Load(); err != nil {
		return nil, fmt.Errorf("read capabilities: %w", err)
	}
	sets := []struct {
		which capability.CapType
		names []string
	}{
		{capability.BOUNDING, caps.Bounding},
		{capability.EFFECTIVE, caps.Effective},
		{capability.PERMITTED, caps.Permitted},
		{capability.INHERITABLE, caps.Inheritable},
		{capability.AMBIENT, caps.Ambient},
	}
	c.Clear(capability.CAPS | capability.BOUNDS | capability.AMBS)
	for _, set := range sets {
		list, err := capList(set.names)
		if err != nil {
			return nil, err
		}
		c.Set(set.which, list...)
	}
	ignoredAmbient = dropUnraisableAmbient(c)
	if err := c.Apply(capability.BOUNDS); err != nil {
		return nil, fmt.Errorf("apply bounding set: %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
		return nil, os.NewSyscallError("prctl PR_SET_KEEPCAPS", err)
	}
	u := p.User
	if len(u.AdditionalGids) > 0 || !inUserNSWithoutSetgroups(s) {
		gids := make([]int, len(u.AdditionalGids))
		for i, g := range u.AdditionalGids {
			gids[i] = int(g)
		}
		if err := unix.Setgroups(gids); err != nil {
			return nil, os.NewSyscallError("setgroups", err)
		}
	}
	if err := unix.Setresgid(int(u.GID), int(u.GID), int(u.GID)); err != nil {
		return nil, os.NewSyscallError("setresgid", err)
	}
	if err := unix.Setresuid(int(u.UID), int(u.UID), int(u.UID)); err != nil {
		return nil, os.NewSyscallError("setresuid", err)
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 0, 0, 0, 0); err != nil {
		return nil, os.NewSyscallError("prctl PR_SET_KEEPCAPS", err)
	}
	if err := c.Apply(capability.CAPS); err != nil {
		return nil, fmt.Errorf("apply capabilities: %w", err)
	}
	if len(caps.Ambient) > 0 {
		if err := c.Apply(capability.AMBS); err != nil {
			return nil, fmt.Errorf("apply ambient capabilities: %w", err)
		}
	}
	if u.Umask != nil {
		unix.Umask(int(*u.Umask))
	} else {
		unix.Umask(0o022)
	}
	return ignoredAmbient, nil
}

// dropUnraisableAmbient takes out of c's ambient set every capability that is not in both its
// permitted and inheritable sets, and returns their names.
func dropUnraisableAmbient(c capability.Capabilities) []string {
	var dropped []string
	for _, cp := range capability.ListKnown() {
		if c.Get(capability.AMBIENT, cp) && (!c.Get(capability.PERMITTED, cp) || !c.Get(capability.INHERITABLE, cp)) {
			c.Unset(capability.AMBIENT, cp)
			dropped = append(dropped, "CAP_"+strings.ToUpper(cp.String()))
		}
	}
	return dropped
}

// inUserNSWithoutSetgroups: in a user namespace whose setgroups is "deny", setgroups fails even
// for an empty list; skip it when there is nothing to set.
func inUserNSWithoutSetgroups(s *specs.Spec) bool {
	if !hasNewNamespace(s, specs.UserNamespace) {
		return false
	}
	b, err := os.ReadFile("/proc/self/setgroups")
	return err == nil && strings.TrimSpace(string(b)) == "deny"
}

func capList(names []string) ([]capability.Cap, error) {
	known := make(map[string]capability.Cap)
	for _, c := range capability.ListKnown() {
		known["CAP_"+strings.ToUpper(c.String())] = c
	}
	last, _ := capability.LastCap()
	out := make([]capability.Cap, 0, len(names))
	for _, n := range names {
		c, ok := known[strings.ToUpper(n)]
		if !ok {
			return nil, fmt.Errorf("unknown capability %q", n)
		}
		if c > last {
			continue // known to the library, not to this kernel: runc skips these too
		}
		out = append(out, c)
	}
	return out, nil
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

// execve replaces init with the container's process. Every fd from fdBase up (all above 2 but
// the preserved ones) is marked close-on-exec first (CVE-2024-21626: a leaked runtime fd, e.g.
// of a host cgroup dir, lets the container escape), whatever opened it and however.
func execve(path string, p *specs.Process, fdBase int) error {
	if err := markCloexec(fdBase); err != nil {
		return err
	}
	env := p.Env
	if !hasEnv(env, "HOME") {
		home := "/"
		if p.User.UID == 0 {
			home = "/root"
		}
		env = append(env, "HOME="+home)
	}
	if err := unix.Exec(path, p.Args, env); err != nil {
		return fmt.Errorf("exec %s: %w", path, err)
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
