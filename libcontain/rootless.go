package libcontain

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/contain-runtime/contain/libcontain/namespaces"
	"github.com/contain-runtime/contain/spec"
	"path/filepath"
	"strconv"
	"strings"
)

// RootlessFrom reports whether a runtime with effective uid euid and /proc/self/uid_map contents
// uidMap is rootless: unprivileged on the host, either as a user other than root or as root of a
// user namespace an unprivileged user made (rootless podman runs the runtime so, with USER set
// to that user).
func RootlessFrom(euid int, uidMap []byte, user string) bool {
	if euid != 0 {
		return true
	}
	return !initialUserNS(uidMap) && user != "root"
}

// initialUserNS reports whether uid_map is the initial namespace's identity map of every uid.
func initialUserNS(uidMap []byte) bool {
	f := strings.Fields(string(uidMap))
	return len(f) == 3 && f[0] == "0" && f[1] == "0" && f[2] == "4294967295"
}

// Rootless is RootlessFrom for this process.
func Rootless() bool {
	m, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		return os.Geteuid() != 0
	}
	return RootlessFrom(os.Geteuid(), m, os.Getenv("USER"))
}

// RootlessStateRoot is where a rootless caller keeps container state by default:
// $XDG_RUNTIME_DIR/contain (runc's rule, with contain for runc), else a directory of the user's
// own in the temp dir.
func RootlessStateRoot(uid int) string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "contain")
	}
	return filepath.Join(os.TempDir(), "contain-"+strconv.Itoa(uid))
}

// RootlessWorkDir is where a rootless caller keeps sandboxes by default:
// $XDG_DATA_HOME/contain, else ~/.local/share/contain.
func RootlessWorkDir() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "contain"), nil
	}
	home := os.Getenv("HOME")
	if home == "" {
		// conmon (rootless podman) passes no $HOME: the user's home from the user database, by
		// the uid the host knows (podman runs us as root of a namespace whose 0 is the user).
		m, _ := os.ReadFile("/proc/self/uid_map")
		u, err := user.LookupId(strconv.Itoa(namespaces.HostUID(os.Getuid(), m)))
		if err != nil || u.HomeDir == "" {
			return "", fmt.Errorf("rootless: no $HOME and no home in the user database for the sandbox dir (~/.local/share/contain); pass --work-dir")
		}
		home = u.HomeDir
	}
	return filepath.Join(home, ".local", "share", "contain"), nil
}

// CheckOwnDir makes the state root (0700) unless it exists, and refuses one that another user
// owns or can write: in a shared temp dir someone could have made it first to watch or plant
// container state. (The store makes its root only at the first create; made here, it cannot be
// made by someone else between this check and that create.)
func CheckOwnDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create state root: %w", err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !fi.IsDir() || !ok || int(st.Uid) != os.Geteuid() || fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("state root %s is not a directory of this user's alone: remove it or pass --root", dir)
	}
	return nil
}

// RootlessIDMaps returns the user namespace maps of a rootless caller's container: its own uid
// and gid as 0, then its /etc/subuid and /etc/subgid ranges when it has both and newuidmap and
// newgidmap (Debian's uidmap) are there to write them; its own ids alone otherwise.
func RootlessIDMaps() (uidMaps, gidMaps []specs.LinuxIDMapping, err error) {
	uid, gid := uint32(os.Geteuid()), uint32(os.Getegid())
	var uidRanges, gidRanges []spec.SubIDRange
	if subIDHelpers() == nil {
		name := ""
		if u, err := user.LookupId(strconv.Itoa(int(uid))); err == nil {
			name = u.Username
		}
		if b, err := os.ReadFile("/etc/subuid"); err == nil {
			uidRanges = spec.ParseSubIDs(b, name, uid)
		}
		if b, err := os.ReadFile("/etc/subgid"); err == nil {
			gidRanges = spec.ParseSubIDs(b, name, uid)
		}
		if len(uidRanges) == 0 || len(gidRanges) == 0 {
			uidRanges, gidRanges = nil, nil
		}
	}
	if uidMaps, err = spec.RootlessMappings(uid, uidRanges); err != nil {
		return nil, nil, err
	}
	if gidMaps, err = spec.RootlessMappings(gid, gidRanges); err != nil {
		return nil, nil, err
	}
	return uidMaps, gidMaps, nil
}

// subIDHelpers finds newuidmap and newgidmap, the setuid helpers that write maps of
// subordinate ids for an unprivileged user.
func subIDHelpers() error {
	for _, h := range []string{"newuidmap", "newgidmap"} {
		if _, err := exec.LookPath(h); err != nil {
			return fmt.Errorf("%s not found (Debian: apt install uidmap): %w", h, err)
		}
	}
	return nil
}
