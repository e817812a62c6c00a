package systemd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	sdbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"

	"github.com/contain-runtime/contain/libcontain/namespaces"
)

// Bus is what the driver asks of systemd's manager (org.freedesktop.systemd1). Start and Stop
// return once systemd's job for the unit has finished; Version is the manager's version number.
// A fake stands in for it in unit tests.
type Bus interface {
	StartTransientUnit(name string, props []sdbus.Property) error
	StopUnit(name string) error
	SetUnitProperties(name string, props []sdbus.Property) error
	ResetFailedUnit(name string) error
	// ManagerProperty returns a property of the manager as a plain string ("Version",
	// "ControlGroup").
	ManagerProperty(name string) (string, error)
	Close()
}

// jobTimeout bounds a wait for systemd to start or stop a unit (runc's limit too). Stopping a
// scope whose processes are already gone takes milliseconds.
const jobTimeout = 30 * time.Second

// Connect opens the system bus, or with user the bus of the caller's own systemd instance
// ($DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus). Errors say why systemd is out of
// reach, so `--systemd-cgroup` on a host without systemd fails with one clear line.
func Connect(user bool) (Bus, error) {
	if fi, err := os.Stat("/run/systemd/system"); err != nil || !fi.IsDir() {
		return nil, errors.New("systemd cgroup driver: systemd is not running on this host (no /run/systemd/system); drop --systemd-cgroup to manage cgroups directly")
	}
	// Not a context with a deadline: godbus closes the connection when its context ends.
	ctx := context.Background()
	var (
		conn *sdbus.Conn
		err  error
	)
	if user {
		conn, err = userConnection(ctx)
	} else {
		// The system bus; as root, systemd's private socket when dbus-daemon is not there.
		conn, err = sdbus.NewWithContext(ctx)
		if err != nil {
			err = fmt.Errorf("systemd cgroup driver: connect to the system bus (/run/dbus/system_bus_socket, /run/systemd/private): %w", err)
		}
	}
	if err != nil {
		return nil, err
	}
	return &dbusBus{conn: conn}, nil
}

func userConnection(ctx context.Context) (*sdbus.Conn, error) {
	addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if addr == "" {
		if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
			if _, err := os.Stat(filepath.Join(dir, "bus")); err == nil {
				addr = "unix:path=" + dbus.EscapeBusAddressValue(filepath.Join(dir, "bus"))
			}
		}
	}
	if addr == "" {
		return nil, errors.New("systemd cgroup driver: no user bus (neither $DBUS_SESSION_BUS_ADDRESS nor $XDG_RUNTIME_DIR/bus): the user's systemd instance needs a login session or `loginctl enable-linger`, and Debian's dbus-user-session")
	}
	// The bus knows the caller by its host uid (SO_PEERCRED); rootless podman runs us as root of
	// a user namespace whose 0 is that user.
	uidMap, _ := os.ReadFile("/proc/self/uid_map")
	uid := strconv.Itoa(namespaces.HostUID(os.Getuid(), uidMap))
	conn, err := sdbus.NewConnection(func() (*dbus.Conn, error) {
		c, err := dbus.Dial(addr, dbus.WithContext(ctx))
		if err != nil {
			return nil, err
		}
		if err := c.Auth([]dbus.Auth{dbus.AuthExternal(uid)}); err != nil {
			c.Close()
			return nil, err
		}
		if err := c.Hello(); err != nil {
			c.Close()
			return nil, err
		}
		return c, nil
	})
	if err != nil {
		return nil, fmt.Errorf("systemd cgroup driver: connect to the user bus %s: %w", addr, err)
	}
	return conn, nil
}

type dbusBus struct{ conn *sdbus.Conn }

func (b *dbusBus) Close() { b.conn.Close() }

// dbusErrorName is the D-Bus error name of err ("org.freedesktop.systemd1.NoSuchUnit"), or "".
func dbusErrorName(err error) string {
	var de dbus.Error
	if errors.As(err, &de) {
		return de.Name
	}
	return ""
}

func (b *dbusBus) StartTransientUnit(name string, props []sdbus.Property) error {
	ctx, cancel := context.WithTimeout(context.Background(), jobTimeout)
	defer cancel()
	done := make(chan string, 1)
	_, err := b.conn.StartTransientUnitContext(ctx, name, "replace", props, done)
	if err != nil && strings.HasSuffix(dbusErrorName(err), ".UnitExists") {
		// A failed unit of the same name stays loaded until reset; a running one makes the
		// second try fail too, which is right (the name is in use).
		_ = b.ResetFailedUnit(name)
		_, err = b.conn.StartTransientUnitContext(ctx, name, "replace", props, done)
	}
	if err != nil {
		return err
	}
	return b.wait(ctx, name, "start", done)
}

func (b *dbusBus) StopUnit(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), jobTimeout)
	defer cancel()
	done := make(chan string, 1)
	_, err := b.conn.StopUnitContext(ctx, name, "replace", done)
	if err != nil {
		if strings.HasSuffix(dbusErrorName(err), ".NoSuchUnit") {
			return nil // gone already (its last process exited and systemd collected it)
		}
		return err
	}
	err = b.wait(ctx, name, "stop", done)
	// A unit whose processes were killed ends "failed" and stays loaded: let systemd drop it.
	_ = b.ResetFailedUnit(name)
	return err
}

// wait returns when systemd reports the job's result: "done" is success, anything else
// ("failed", "timeout", "canceled", "dependency"...) an error naming it.
func (b *dbusBus) wait(ctx context.Context, name, what string, done <-chan string) error {
	select {
	case res := <-done:
		if res != "done" {
			if what == "start" {
				_ = b.ResetFailedUnit(name)
			}
			return fmt.Errorf("%s unit %s: systemd's job ended %q", what, name, res)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s unit %s: no answer from systemd in %s", what, name, jobTimeout)
	}
}

func (b *dbusBus) SetUnitProperties(name string, props []sdbus.Property) error {
	ctx, cancel := context.WithTimeout(context.Background(), jobTimeout)
	defer cancel()
	// runtime=true: the change lives in /run and goes with the unit.
	return b.conn.SetUnitPropertiesContext(ctx, name, true, props...)
}

func (b *dbusBus) ResetFailedUnit(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), jobTimeout)
	defer cancel()
	return b.conn.ResetFailedUnitContext(ctx, name)
}

func (b *dbusBus) ManagerProperty(name string) (string, error) {
	v, err := b.conn.GetManagerProperty(name)
	if err != nil {
		return "", err
	}
	// go-systemd returns the variant's text form: a quoted string for string properties.
	if s, err := strconv.Unquote(v); err == nil {
		return s, nil
	}
	return v, nil
}

// ParseVersion reads the leading number of systemd's version string ("252.22-1~deb12u1",
// "v245.4-1.fc32", "245").
func ParseVersion(s string) (int, error) {
	s = strings.TrimLeft(s, `"v`)
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(s[:end])
	if err != nil {
		return 0, fmt.Errorf("systemd version %q: no leading number", s)
	}
	return n, nil
}
