package libcontain

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

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
