package libcontain

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/namespaces"
	"github.com/contain-runtime/contain/libcontain/nsenter"
	"github.com/contain-runtime/contain/libcontain/timerslack"
)

// UsernsHoldArg is the hidden first argument that makes the binary a user namespace holder
// (see newUsernsHolder): it waits for its stdin to close and exits.
const UsernsHoldArg = "userns-hold"

// HoldUserns is the holder's whole life; main calls it for UsernsHoldArg.
func HoldUserns() {
	_, _ = io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// needsIDHelpers reports whether an unprivileged caller needs newuidmap/newgidmap for maps: the
// kernel lets it write only a single line mapping its own id (user_namespaces(7)); root, or
// root of the user namespace the runtime runs in, writes any maps it owns itself.
func needsIDHelpers(uidMaps, gidMaps []specs.LinuxIDMapping) bool {
	if os.Geteuid() == 0 {
		return false
	}
	single := func(m []specs.LinuxIDMapping, own int) bool {
		return len(m) == 1 && int(m[0].HostID) == own && m[0].Size == 1
	}
	return !single(uidMaps, os.Geteuid()) || !single(gidMaps, os.Getegid())
}

// usernsHolder is a process that sits in a new user namespace whose maps the setuid helpers
// newuidmap and newgidmap wrote (Debian's uidmap; they check /etc/subuid and /etc/subgid). Go's
// clone writes maps itself, which an unprivileged caller may do only for its own id; so for
// subordinate ranges the namespace is made first, here, and init joins it and creates its
// other namespaces inside it (package nsenter), as the namespace's owner may.
type usernsHolder struct {
	cmd  *exec.Cmd
	stop *os.File // closing it ends the holder
}

func newUsernsHolder(exe *os.File, uidMaps, gidMaps []specs.LinuxIDMapping) (*usernsHolder, error) {
	if err := subIDHelpers(); err != nil {
		return nil, fmt.Errorf("user namespace with subordinate ids: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	cmd := &exec.Cmd{
		Path: "/proc/self/fd/" + strconv.Itoa(int(exe.Fd())), Args: []string{"contain", UsernsHoldArg},
		Stdin: r, SysProcAttr: &syscall.SysProcAttr{Cloneflags: unix.CLONE_NEWUSER, Pdeathsig: unix.SIGKILL},
	}
	if err := cmd.Start(); err != nil {
		w.Close()
		return nil, fmt.Errorf("start user namespace holder: %w", err)
	}
	h := &usernsHolder{cmd: cmd, stop: w}
	for _, m := range []struct {
		helper string
		maps   []specs.LinuxIDMapping
	}{{"newuidmap", uidMaps}, {"newgidmap", gidMaps}} {
		args := []string{strconv.Itoa(cmd.Process.Pid)}
		for _, e := range m.maps {
			args = append(args, strconv.FormatUint(uint64(e.ContainerID), 10),
				strconv.FormatUint(uint64(e.HostID), 10), strconv.FormatUint(uint64(e.Size), 10))
		}
		var out []byte
		err := timerslack.StartWith(timerslack.Caller(), func() (err error) {
			out, err = exec.Command(m.helper, args...).CombinedOutput()
			return err
		})
		if err != nil {
			h.release()
			return nil, fmt.Errorf("%s %s: %w: %s (are the ranges in /etc/sub%sid?)", m.helper,
				strings.Join(args, " "), err, strings.TrimSpace(string(out)), m.helper[3:4])
		}
	}
	return h, nil
}

// path names the holder's user namespace for nsenter to join.
func (h *usernsHolder) path() string { return "/proc/" + strconv.Itoa(h.cmd.Process.Pid) + "/ns/user" }

// release ends the holder once init is in the namespace (which then lives on with it).
func (h *usernsHolder) release() {
	h.stop.Close()
	_ = h.cmd.Wait()
}

// joinHeldUserns turns clone flags that create a user namespace into an nsenter request that
// joins the holder's and creates the others inside it.
func joinHeldUserns(h *usernsHolder, cloneFlags uintptr) (*nsenter.Request, error) {
	req := &nsenter.Request{Namespaces: []specs.LinuxNamespace{{Type: specs.UserNamespace, Path: h.path()}}}
	for _, t := range []specs.LinuxNamespaceType{specs.MountNamespace, specs.PIDNamespace, specs.NetworkNamespace,
		specs.IPCNamespace, specs.UTSNamespace, specs.CgroupNamespace, specs.TimeNamespace} {
		flag, err := namespaces.Type(t)
		if err != nil {
			return nil, err
		}
		if cloneFlags&flag != 0 {
			if t == specs.TimeNamespace {
				return nil, fmt.Errorf("a new time namespace with subordinate id maps is not supported")
			}
			req.Unshare = append(req.Unshare, t)
		}
	}
	return req, nil
}
