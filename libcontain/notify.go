package libcontain

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// sd_notify passthrough. When the runtime itself runs under systemd with NOTIFY_SOCKET set (a
// Type=notify unit), the container's process should be the one that says READY=1. The host's
// socket is never shown to the container: create gives it a socket of its own in the state dir
// (bind-mounted at /run/notify), start listens there before releasing init, waits for READY=1
// and relays it to systemd with go-systemd — as runc does.
const (
	notifyDirName       = "notify"
	notifySockName      = "notify.sock"
	containerNotifyDir  = "/run/notify"
	containerNotifyPath = containerNotifyDir + "/" + notifySockName
	notifySocketEnv     = "NOTIFY_SOCKET"
	extraNotifySocket   = "notifySocket"
)

// addNotifySocket prepares the container side at create, if the runtime has a NOTIFY_SOCKET.
// It returns the host socket path to remember ("" when there is none).
func addNotifySocket(s *specs.Spec, stateDir string) (string, error) {
	host := os.Getenv(notifySocketEnv)
	if host == "" {
		return "", nil
	}
	dir := filepath.Join(stateDir, notifyDirName)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", fmt.Errorf("make notify dir: %w", err)
	}
	s.Mounts = append(s.Mounts, specs.Mount{
		Destination: containerNotifyDir, Type: "bind", Source: dir,
		Options: []string{"bind", "nosuid", "noexec", "nodev"},
	})
	env := s.Process.Env[:0:0]
	for _, e := range s.Process.Env {
		if len(e) < len(notifySocketEnv)+1 || e[:len(notifySocketEnv)+1] != notifySocketEnv+"=" {
			env = append(env, e)
		}
	}
	s.Process.Env = append(env, notifySocketEnv+"="+containerNotifyPath)
	return host, nil
}

// listenNotify binds the container's notify socket; call before releasing init.
func listenNotify(stateDir string) (*net.UnixConn, error) {
	path := filepath.Join(stateDir, notifyDirName, notifySockName)
	_ = os.Remove(path)
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("listen on notify socket: %w", err)
	}
	// The container's process may run as any user.
	if err := os.Chmod(path, 0o777); err != nil {
		conn.Close()
		return nil, fmt.Errorf("notify socket: %w", err)
	}
	return conn, nil
}

// relayReady waits for the container's READY=1 and passes it to the host's notify socket. It
// gives up when init dies first (alive is polled each second).
func relayReady(conn *net.UnixConn, hostSocket string, initPid int, alive func() bool) error {
	buf := make([]byte, 4096)
	for {
		_ = conn.SetReadDeadline(time.Now().Add(time.Second))
		n, err := conn.Read(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			if !alive() {
				return errors.New("container exited before it notified READY=1")
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("read notify socket: %w", err)
		}
		for _, line := range bytes.Split(buf[:n], []byte("\n")) {
			if bytes.Equal(line, []byte(daemon.SdNotifyReady)) {
				// go-systemd reads the target from NOTIFY_SOCKET.
				if err := os.Setenv(notifySocketEnv, hostSocket); err != nil {
					return err
				}
				msg := fmt.Sprintf("%s\nMAINPID=%d", daemon.SdNotifyReady, initPid)
				if _, err := daemon.SdNotify(false, msg); err != nil {
					return fmt.Errorf("notify systemd: %w", err)
				}
				return nil
			}
		}
	}
}
