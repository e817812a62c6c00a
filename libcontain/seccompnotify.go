package libcontain

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// usesSeccompNotify reports whether the spec's seccomp profile sends any syscall to a notify
// listener (SCMP_ACT_NOTIFY): init then hands the listener fd to the parent, which passes it to
// linux.seccomp.listenerPath.
func usesSeccompNotify(s *specs.Spec) bool {
	if s.Linux == nil || s.Linux.Seccomp == nil {
		return false
	}
	for _, sc := range s.Linux.Seccomp.Syscalls {
		if sc.Action == specs.ActNotify {
			return true
		}
	}
	return false
}

// checkSeccompNotify fails a profile that uses SCMP_ACT_NOTIFY without a listenerPath: nobody
// could answer, and every notified syscall would hang the container forever.
func checkSeccompNotify(s *specs.Spec) error {
	if usesSeccompNotify(s) && s.Linux.Seccomp.ListenerPath == "" {
		return errors.New("seccomp: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath, a socket to hand the listener to")
	}
	return nil
}

// listenerTimeout bounds connecting to and writing to the seccomp agent.
const listenerTimeout = 10 * time.Second

// sendSeccompListener passes the listener fd to the agent at the profile's listenerPath, with
// the container process state the runtime spec defines (fds ["seccompFd"], the process's pid,
// listenerMetadata, and the container's state), in one message with the fd attached.
func sendSeccompListener(s *specs.Spec, st specs.State, pid int, listener *os.File) error {
	sc := s.Linux.Seccomp
	msg, err := json.Marshal(specs.ContainerProcessState{
		Version: specs.Version, Fds: []string{specs.SeccompFdName}, Pid: pid,
		Metadata: sc.ListenerMetadata, State: st,
	})
	if err != nil {
		return err
	}
	conn, err := net.DialTimeout("unix", sc.ListenerPath, listenerTimeout)
	if err != nil {
		return fmt.Errorf("seccomp listenerPath: %w", err)
	}
	defer conn.Close()
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return fmt.Errorf("seccomp listenerPath %s: not a unix socket", sc.ListenerPath)
	}
	_ = uc.SetWriteDeadline(time.Now().Add(listenerTimeout))
	n, oobn, err := uc.WriteMsgUnix(msg, unix.UnixRights(int(listener.Fd())), nil)
	if err != nil {
		return fmt.Errorf("seccomp listenerPath %s: send the listener: %w", sc.ListenerPath, err)
	}
	if n != len(msg) || oobn == 0 {
		return fmt.Errorf("seccomp listenerPath %s: short write", sc.ListenerPath)
	}
	return nil
}
