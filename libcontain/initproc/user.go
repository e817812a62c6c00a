package initproc

import (
	"fmt"
	"os"
	"strings"
	"unsafe"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/namespaces"
)

// setupUser drops to the spec's user with exactly the spec's capabilities. Order matters:
// the bounding set is cut while we still hold CAP_SETPCAP; PR_SET_KEEPCAPS keeps the permitted
// set across setuid; then the five sets are applied and the umask set. It returns the ambient
// capabilities that could not be raised and the unknown names (see capabilitySets), as warnings.
// savedRoot keeps 0 as the saved uid (see BecomeOnThread); execve sets it to the effective uid.
func setupUser(p *specs.Process, s *specs.Spec, savedRoot bool) (warnings []string, err error) {
	c, warnings, err := capabilitySets(p.Capabilities)
	if err != nil {
		return nil, err
	}
	if err := c.Apply(capability.BOUNDS); err != nil {
		return nil, fmt.Errorf("apply bounding set: %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
		return nil, os.NewSyscallError("prctl PR_SET_KEEPCAPS", err)
	}
	u := p.User
	if len(u.AdditionalGids) > 0 || !inUserNSWithoutSetgroups(s) {
		if err := threadSetgroups(u.AdditionalGids); err != nil {
			return nil, os.NewSyscallError("setgroups", err)
		}
	}
	if err := threadSetres(unix.SYS_SETRESGID, u.GID, u.GID); err != nil {
		return nil, os.NewSyscallError("setresgid", err)
	}
	saved := u.UID
	if savedRoot {
		saved = 0
	}
	if err := threadSetres(unix.SYS_SETRESUID, u.UID, saved); err != nil {
		return nil, os.NewSyscallError("setresuid", err)
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 0, 0, 0, 0); err != nil {
		return nil, os.NewSyscallError("prctl PR_SET_KEEPCAPS", err)
	}
	if err := c.Apply(capability.CAPS); err != nil {
		return nil, fmt.Errorf("apply capabilities: %w", err)
	}
	if p.Capabilities != nil && len(p.Capabilities.Ambient) > 0 {
		if err := c.Apply(capability.AMBS); err != nil {
			return nil, fmt.Errorf("apply ambient capabilities: %w", err)
		}
	}
	if u.Umask != nil {
		unix.Umask(int(*u.Umask))
	} else {
		unix.Umask(0o022)
	}
	return warnings, nil
}

// threadSetgroups and threadSetres change the ids of this thread only, as runc's init does: it
// is the thread that execs the container's process (Init locks it), and execve ends every other.
// Go's Setgroups and Setres[ug]id change them on every thread of the process, waking each with a
// signal, for threads that never run the container's code.
func threadSetgroups(gids []uint32) error {
	var p unsafe.Pointer
	if len(gids) > 0 {
		p = unsafe.Pointer(&gids[0])
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETGROUPS, uintptr(len(gids)), uintptr(p), 0); e != 0 {
		return e
	}
	return nil
}

// threadSetres is setresuid or setresgid (trap): id for real and effective, saved for saved.
func threadSetres(trap uintptr, id, saved uint32) error {
	if _, _, e := unix.RawSyscall(trap, uintptr(id), uintptr(id), uintptr(saved)); e != 0 {
		return e
	}
	return nil
}

// inUserNSWithoutSetgroups: in a user namespace whose setgroups is "deny", setgroups fails even
// for an empty list; skip it when there is nothing to set.
func inUserNSWithoutSetgroups(s *specs.Spec) bool {
	if s.Linux == nil || !namespaces.IsNew(s.Linux.Namespaces, specs.UserNamespace) {
		return false
	}
	b, err := os.ReadFile("/proc/self/setgroups")
	return err == nil && strings.TrimSpace(string(b)) == "deny"
}
