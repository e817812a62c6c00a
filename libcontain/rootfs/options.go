package rootfs

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// mountFlag is one mount(8)-style option that maps onto a mount(2) flag: clear says whether the
// option removes the flag ("rw" removes MS_RDONLY) instead of setting it.
type mountFlag struct {
	clear bool
	flag  uintptr
}

// mountFlags are the options the kernel takes as mount(2) flags rather than in the data string.
// Later options win over earlier ones ("ro,rw" is read-write), as with mount(8).
var mountFlags = map[string]mountFlag{
	"defaults":      {false, 0},
	"ro":            {false, unix.MS_RDONLY},
	"rw":            {true, unix.MS_RDONLY},
	"nosuid":        {false, unix.MS_NOSUID},
	"suid":          {true, unix.MS_NOSUID},
	"nodev":         {false, unix.MS_NODEV},
	"dev":           {true, unix.MS_NODEV},
	"noexec":        {false, unix.MS_NOEXEC},
	"exec":          {true, unix.MS_NOEXEC},
	"sync":          {false, unix.MS_SYNCHRONOUS},
	"async":         {true, unix.MS_SYNCHRONOUS},
	"dirsync":       {false, unix.MS_DIRSYNC},
	"remount":       {false, unix.MS_REMOUNT},
	"mand":          {false, unix.MS_MANDLOCK},
	"nomand":        {true, unix.MS_MANDLOCK},
	"atime":         {true, unix.MS_NOATIME},
	"noatime":       {false, unix.MS_NOATIME},
	"diratime":      {true, unix.MS_NODIRATIME},
	"nodiratime":    {false, unix.MS_NODIRATIME},
	"relatime":      {false, unix.MS_RELATIME},
	"norelatime":    {true, unix.MS_RELATIME},
	"strictatime":   {false, unix.MS_STRICTATIME},
	"nostrictatime": {true, unix.MS_STRICTATIME},
	"bind":          {false, unix.MS_BIND},
	"rbind":         {false, unix.MS_BIND | unix.MS_REC},
	"silent":        {false, unix.MS_SILENT},
	"loud":          {true, unix.MS_SILENT},
	"iversion":      {false, unix.MS_I_VERSION},
	"noiversion":    {true, unix.MS_I_VERSION},
	"lazytime":      {false, unix.MS_LAZYTIME},
	"nolazytime":    {true, unix.MS_LAZYTIME},
	"nosymfollow":   {false, unix.MS_NOSYMFOLLOW},
	"symfollow":     {true, unix.MS_NOSYMFOLLOW},
}

// propagationFlags are the options that change a mount's propagation type. The kernel accepts
// only one propagation type per mount(2) call and none together with other flags, so they are
// applied one by one after the mount exists.
var propagationFlags = map[string]uintptr{
	"private":     unix.MS_PRIVATE,
	"rprivate":    unix.MS_PRIVATE | unix.MS_REC,
	"shared":      unix.MS_SHARED,
	"rshared":     unix.MS_SHARED | unix.MS_REC,
	"slave":       unix.MS_SLAVE,
	"rslave":      unix.MS_SLAVE | unix.MS_REC,
	"unbindable":  unix.MS_UNBINDABLE,
	"runbindable": unix.MS_UNBINDABLE | unix.MS_REC,
}

// ParseMountOptions splits OCI mount options into mount(2) flags, the propagation changes to make
// after mounting (in the order given) and the filesystem data string (every option that is not
// a flag, comma-joined in order, e.g. "mode=755,size=65536k"). Empty options are skipped. An
// option holding a NUL byte is an error: it could not be passed to the kernel, and silently
// truncating it would mount something other than what the config says.
func ParseMountOptions(opts []string) (flags uintptr, propagation []uintptr, data string, err error) {
	var extra []string
	for _, o := range opts {
		if o == "" {
			continue
		}
		if strings.IndexByte(o, 0) >= 0 {
			return 0, nil, "", fmt.Errorf("mount option %q: %w", o, errNULInOption)
		}
		if f, ok := mountFlags[o]; ok {
			if f.clear {
				flags &^= f.flag
			} else {
				flags |= f.flag
			}
			continue
		}
		if p, ok := propagationFlags[o]; ok {
			propagation = append(propagation, p)
			continue
		}
		extra = append(extra, o)
	}
	return flags, propagation, strings.Join(extra, ","), nil
}

var errNULInOption = errors.New("contains a NUL byte")

// parseRootPropagation maps linux.rootfsPropagation onto the flags for mount("", "/", ...).
func parseRootPropagation(s string) (uintptr, error) {
	if p, ok := propagationFlags[s]; ok {
		return p, nil
	}
	return 0, fmt.Errorf("unknown rootfsPropagation %q", s)
}

// Values of statfs(2)'s f_flags (linux/statfs.h ST_*); x/sys/unix does not name them.
const (
	stRdonly      = 0x0001
	stNosuid      = 0x0002
	stNodev       = 0x0004
	stNoexec      = 0x0008
	stNoatime     = 0x0400
	stNodiratime  = 0x0800
	stRelatime    = 0x1000
	stNosymfollow = 0x2000
)

// lockedFlags turns the statfs(2) flags of an existing mount into the per-mount mount(2) flags
// that a bind remount must repeat. The kernel locks nosuid, nodev, noexec, the atime mode and
// read-only on mounts that a less privileged user namespace inherited (MNT_LOCK_*), and
// MS_BIND|MS_REMOUNT replaces all per-mount flags, so leaving one out is EPERM there and
// silently drops the restriction elsewhere. Read-only is left out: the caller decides that.
func lockedFlags(stFlags int64) uintptr {
	var f uintptr
	for _, m := range []struct {
		st int64
		ms uintptr
	}{
		{stNosuid, unix.MS_NOSUID},
		{stNodev, unix.MS_NODEV},
		{stNoexec, unix.MS_NOEXEC},
		{stNoatime, unix.MS_NOATIME},
		{stNodiratime, unix.MS_NODIRATIME},
		{stRelatime, unix.MS_RELATIME},
		{stNosymfollow, unix.MS_NOSYMFOLLOW},
	} {
		if stFlags&m.st != 0 {
			f |= m.ms
		}
	}
	return f
}

// atimeMode is the set of flags that together choose a mount's atime mode.
const atimeMode = unix.MS_NOATIME | unix.MS_RELATIME | unix.MS_STRICTATIME

// mergeLockedFlags adds an existing mount's locked flags (statfs f_flags) to the flags of a bind
// remount, for the retry after EPERM. An atime mode the config asked for is kept: only when it
// asked for none is the mount's current mode repeated (the kernel would otherwise default to
// relatime, which is a change a locked mount refuses).
func mergeLockedFlags(flags uintptr, stFlags int64) uintptr {
	locked := lockedFlags(stFlags)
	if flags&atimeMode != 0 {
		locked &^= atimeMode
	}
	return flags | locked
}
