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

// recursiveFlags are the OCI options that change a mount attribute on a whole mount tree at once
// ("rro" makes every submount of an rbind read-only, where "ro" reaches only the top one). They
// are applied with mount_setattr(2) and AT_RECURSIVE (Linux 5.12).
var recursiveFlags = map[string]struct {
	clear bool
	attr  uint64
}{
	"rro":            {false, unix.MOUNT_ATTR_RDONLY},
	"rrw":            {true, unix.MOUNT_ATTR_RDONLY},
	"rnosuid":        {false, unix.MOUNT_ATTR_NOSUID},
	"rsuid":          {true, unix.MOUNT_ATTR_NOSUID},
	"rnodev":         {false, unix.MOUNT_ATTR_NODEV},
	"rdev":           {true, unix.MOUNT_ATTR_NODEV},
	"rnoexec":        {false, unix.MOUNT_ATTR_NOEXEC},
	"rexec":          {true, unix.MOUNT_ATTR_NOEXEC},
	"rnodiratime":    {false, unix.MOUNT_ATTR_NODIRATIME},
	"rdiratime":      {true, unix.MOUNT_ATTR_NODIRATIME},
	"rrelatime":      {false, unix.MOUNT_ATTR_RELATIME},
	"rnorelatime":    {true, unix.MOUNT_ATTR_RELATIME},
	"rnoatime":       {false, unix.MOUNT_ATTR_NOATIME},
	"ratime":         {true, unix.MOUNT_ATTR_NOATIME},
	"rstrictatime":   {false, unix.MOUNT_ATTR_STRICTATIME},
	"rnostrictatime": {true, unix.MOUNT_ATTR_STRICTATIME},
	"rnosymfollow":   {false, unix.MOUNT_ATTR_NOSYMFOLLOW},
	"rsymfollow":     {true, unix.MOUNT_ATTR_NOSYMFOLLOW},
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

// Options that are neither flags nor filesystem data.
const (
	optCopyUp = "tmpcopyup" // runc's: the new filesystem starts with a copy of what it covers
	optIDMap  = "idmap"     // id-map the bind mount (its top mount only)
	optRIDMap = "ridmap"    // id-map the bind mount and every submount of an rbind
)

// mountOptions is what a spec mount's options ask for.
type mountOptions struct {
	flags uintptr // mount(2) flags to set
	// cleared are the flags an option explicitly cleared ("rw", "suid", "exec", ...). A bind
	// mount with none of flags or cleared keeps the flags of its source.
	cleared     uintptr
	propagation []uintptr       // in the order given
	recursive   *unix.MountAttr // rro, rnosuid, ...; nil when none was given
	data        string          // the filesystem's own options, comma-joined in order
	copyUp      bool            // tmpcopyup
	idmap       bool            // idmap or ridmap
	idmapRec    bool            // ridmap
}

// parseMountOptions splits OCI mount options the way runc does. Empty options are skipped. An
// option holding a NUL byte is an error: it could not be passed to the kernel, and silently
// truncating it would mount something other than what the config says.
func parseMountOptions(opts []string) (mountOptions, error) {
	var (
		o              mountOptions
		extra          []string
		recSet, recClr uint64
	)
	for _, opt := range opts {
		if opt == "" {
			continue
		}
		if strings.IndexByte(opt, 0) >= 0 {
			return mountOptions{}, fmt.Errorf("mount option %q: %w", opt, errNULInOption)
		}
		if f, ok := mountFlags[opt]; ok {
			if f.clear {
				o.flags &^= f.flag
				o.cleared |= f.flag
			} else {
				o.flags |= f.flag
				o.cleared &^= f.flag
			}
			continue
		}
		if p, ok := propagationFlags[opt]; ok {
			o.propagation = append(o.propagation, p)
			continue
		}
		if r, ok := recursiveFlags[opt]; ok {
			if r.clear {
				recClr |= r.attr
				recSet &^= r.attr
			} else {
				recSet |= r.attr
				recClr &^= r.attr
			}
			// mount_setattr(2): an access-time mode is only changed when the whole atime field
			// is in attr_clr (MOUNT_ATTR_RELATIME is 0, so this covers "rrelatime" too).
			if r.attr&unix.MOUNT_ATTR__ATIME == r.attr {
				recClr |= unix.MOUNT_ATTR__ATIME
			}
			continue
		}
		switch opt {
		case optCopyUp:
			o.copyUp = true
		case optIDMap:
			o.idmap, o.idmapRec = true, false
		case optRIDMap:
			o.idmap, o.idmapRec = true, true
		default:
			extra = append(extra, opt)
		}
	}
	if recSet != 0 || recClr != 0 {
		o.recursive = &unix.MountAttr{Attr_set: recSet, Attr_clr: recClr}
	}
	o.data = strings.Join(extra, ",")
	return o, nil
}

var errNULInOption = errors.New("contains a NUL byte")

// parseRootPropagation maps linux.rootfsPropagation onto the flags for mount("", "/", ...).
func parseRootPropagation(s string) (uintptr, error) {
	if p, ok := propagationFlags[s]; ok {
		return p, nil
	}
	return 0, fmt.Errorf("unknown rootfsPropagation %q", s)
}

// Values of statfs(2)'s f_flags (linux/statfs.h ST_*) that x/sys/unix does not name.
const stNosymfollow = 0x2000

const (
	// atimeEnum are the flags that choose a mount's access-time mode (one of them).
	atimeEnum = unix.MS_NOATIME | unix.MS_RELATIME | unix.MS_STRICTATIME
	// atimeFlags are all access-time flags.
	atimeFlags = atimeEnum | unix.MS_NODIRATIME
	// lockableFlags are the per-mount flags the kernel locks (MNT_LOCK_*) on mounts that a less
	// privileged user namespace inherited: a bind remount there may not clear them.
	lockableFlags = unix.MS_RDONLY | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_NOSUID | atimeFlags
	// keptFlags are what remounting a mount read-only repeats of its current flags: a bind
	// remount replaces every per-mount flag, so leaving one out would clear it (or fail where
	// it is locked).
	keptFlags = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_NOSYMFOLLOW | atimeFlags
)

// statfsMountFlags turns the statfs(2) f_flags of a mount into the mount(2) flags that describe
// its per-mount settings. The kernel never reports strictatime (it is the absence of the other
// modes), so it is added when no other access-time mode is set.
func statfsMountFlags(stFlags int64) uintptr {
	var f uintptr
	for _, m := range []struct {
		st int64
		ms uintptr
	}{
		{unix.ST_RDONLY, unix.MS_RDONLY},
		{unix.ST_NOSUID, unix.MS_NOSUID},
		{unix.ST_NODEV, unix.MS_NODEV},
		{unix.ST_NOEXEC, unix.MS_NOEXEC},
		{unix.ST_MANDLOCK, unix.MS_MANDLOCK},
		{unix.ST_SYNCHRONOUS, unix.MS_SYNCHRONOUS},
		{unix.ST_NOATIME, unix.MS_NOATIME},
		{unix.ST_NODIRATIME, unix.MS_NODIRATIME},
		{unix.ST_RELATIME, unix.MS_RELATIME},
		{stNosymfollow, unix.MS_NOSYMFOLLOW},
	} {
		if stFlags&m.st != 0 {
			f |= m.ms
		}
	}
	if f&atimeEnum == 0 {
		f |= unix.MS_STRICTATIME
	}
	return f
}

// flagNames names mount(2) flags for messages, "MS_RDONLY|MS_NOSUID".
func flagNames(f uintptr) string {
	var names []string
	for _, n := range []struct {
		name string
		bit  uintptr
	}{
		{"MS_RDONLY", unix.MS_RDONLY}, {"MS_NOSUID", unix.MS_NOSUID}, {"MS_NODEV", unix.MS_NODEV},
		{"MS_NOEXEC", unix.MS_NOEXEC}, {"MS_SYNCHRONOUS", unix.MS_SYNCHRONOUS},
		{"MS_REMOUNT", unix.MS_REMOUNT}, {"MS_MANDLOCK", unix.MS_MANDLOCK},
		{"MS_DIRSYNC", unix.MS_DIRSYNC}, {"MS_NOSYMFOLLOW", unix.MS_NOSYMFOLLOW},
		{"MS_NOATIME", unix.MS_NOATIME}, {"MS_NODIRATIME", unix.MS_NODIRATIME},
		{"MS_BIND", unix.MS_BIND}, {"MS_REC", unix.MS_REC}, {"MS_RELATIME", unix.MS_RELATIME},
		{"MS_STRICTATIME", unix.MS_STRICTATIME},
	} {
		if f&n.bit != 0 {
			names = append(names, n.name)
			f &^= n.bit
		}
	}
	if f != 0 {
		names = append(names, fmt.Sprintf("%#x", f))
	}
	return strings.Join(names, "|")
}
