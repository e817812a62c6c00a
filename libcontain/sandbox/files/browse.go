package files

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path"
	"slices"
	"strconv"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/state"
)

// MaxEntries bounds one listing: a directory with millions of entries is answered with about
// the first MaxEntries it yields (sorted by name) rather than with all of them in memory at once.
const MaxEntries = 20000

// Entry is one line of `ls -l`, with the field names of Mesos' /files/browse.
type Entry struct {
	Path  string  `json:"path"`  // virtual path
	Mode  string  `json:"mode"`  // as ls -l prints it: "drwxr-xr-x"
	Nlink uint64  `json:"nlink"` //
	UID   string  `json:"uid"`   // user name, or the number when it has none
	GID   string  `json:"gid"`   // group name, or the number
	Size  int64   `json:"size"`  // bytes
	Mtime float64 `json:"mtime"` // seconds since the epoch
}

// Listing is what Browse returns: the entries, sorted by name, and whether MaxEntries cut it.
type Listing struct {
	Entries   []Entry
	Truncated bool
}

// Browse lists the directory vpath names; for a regular file it returns that file's own entry,
// as `ls -l FILE` does. Above the sandboxes it lists what leads to them: containers, then each
// container's latest and runs, then its runs.
func (t *Tree) Browse(vpath string) (*Listing, error) {
	if loc, err := parse(vpath); err == nil && loc.level == levelRoot {
		if _, err := os.Lstat(t.workDir); errors.Is(err, fs.ErrNotExist) {
			return &Listing{Entries: []Entry{}}, nil // no container yet: nothing to show
		}
	}
	h, err := t.open(vpath)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	names := newOwnerNames()
	if h.isReg() {
		return &Listing{Entries: []Entry{entryOf(canonical(h.loc), &h.st, names)}}, nil
	}
	if !h.isDir() {
		return nil, fmt.Errorf("%s: %w (%s)", vpath, ErrNotRegular, kind(h.st.Mode))
	}
	if h.loc.level == levelRoot {
		return t.browseRoot(h, names)
	}
	d, err := pathrs.Reopen(h.f, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC)
	if err != nil {
		return nil, lookupError(vpath, err)
	}
	defer d.Close()
	all, err := readNames(d)
	if err != nil {
		return nil, fmt.Errorf("%s: read directory: %w", vpath, err)
	}
	base := canonical(h.loc)
	out := &Listing{Entries: []Entry{}}
	if h.loc.level == levelContainer {
		// A container shows its latest run first, as a directory (what the link points to).
		out.Entries = append(out.Entries, containerEntries(d, base, all, names)...)
		return out, nil
	}
	for _, name := range all {
		if !shown(h.loc.level, name) {
			continue
		}
		var st unix.Stat_t
		if err := unix.Fstatat(int(d.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			continue // removed since we read the directory
		}
		if h.loc.level < levelSandbox && st.Mode&unix.S_IFMT != unix.S_IFDIR {
			continue // only directories lead to sandboxes
		}
		if len(out.Entries) == MaxEntries {
			out.Truncated = true
			break
		}
		out.Entries = append(out.Entries, entryOf(path.Join(base, name), &st, names))
	}
	return out, nil
}

// browseRoot lists / : the one directory "containers", when the work dir has it.
func (t *Tree) browseRoot(h *handle, names *ownerNames) (*Listing, error) {
	out := &Listing{Entries: []Entry{}}
	var st unix.Stat_t
	err := unix.Fstatat(int(h.f.Fd()), "containers", &st, unix.AT_SYMLINK_NOFOLLOW)
	if err == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
		out.Entries = append(out.Entries, entryOf("/containers", &st, names))
	}
	return out, nil
}

// containerEntries lists /containers/<id>: latest (the run it points to, if valid) and runs.
func containerEntries(d *os.File, base string, all []string, names *ownerNames) []Entry {
	var out []Entry
	if !slices.Contains(all, "runs") {
		return out
	}
	var runsSt unix.Stat_t
	if unix.Fstatat(int(d.Fd()), "runs", &runsSt, unix.AT_SYMLINK_NOFOLLOW) != nil || runsSt.Mode&unix.S_IFMT != unix.S_IFDIR {
		return out
	}
	if runs, err := openat2(int(d.Fd()), "runs", strict); err == nil {
		if run, err := latest(runs); err == nil {
			var st unix.Stat_t
			if unix.Fstatat(int(runs.Fd()), run, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
				out = append(out, entryOf(base+"/latest", &st, names))
			}
		}
		runs.Close()
	}
	return append(out, entryOf(base+"/runs", &runsSt, names))
}

// shown filters a fixed level's names to the ones that lead to sandboxes.
func shown(l level, name string) bool {
	switch l {
	case levelContainers:
		return state.ValidateID(name) == nil
	case levelRuns:
		return validRun(name)
	}
	return true
}

// readNames reads a directory's names, sorted, stopping a little past MaxEntries.
func readNames(d *os.File) ([]string, error) {
	var all []string
	for len(all) <= MaxEntries {
		batch, err := d.Readdirnames(1024)
		all = append(all, batch...)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	slices.Sort(all)
	return all, nil
}

// canonical is the virtual path of a location, cleaned inside the sandbox.
func canonical(loc location) string {
	switch loc.level {
	case levelRoot:
		return "/"
	case levelContainers:
		return "/containers"
	case levelContainer:
		return "/containers/" + loc.id
	case levelRuns:
		return "/containers/" + loc.id + "/runs"
	}
	base := "/containers/" + loc.id + "/latest"
	if loc.run != "" {
		base = "/containers/" + loc.id + "/runs/" + loc.run
	}
	// Cleaned lexically, for display: the kernel resolved rest beneath the run, so a cleaned
	// rest cannot climb above it either.
	return path.Join(base, path.Clean("/"+loc.rest))
}

func entryOf(vpath string, st *unix.Stat_t, names *ownerNames) Entry {
	return Entry{
		Path:  vpath,
		Mode:  modeString(st.Mode),
		Nlink: uint64(st.Nlink),
		UID:   names.user(st.Uid),
		GID:   names.group(st.Gid),
		Size:  st.Size,
		Mtime: float64(st.Mtim.Sec) + float64(st.Mtim.Nsec)/1e9,
	}
}

// modeString renders st_mode as ls -l does, setuid/setgid/sticky included (s/S, t/T).
func modeString(m uint32) string {
	var b strings.Builder
	switch m & unix.S_IFMT {
	case unix.S_IFDIR:
		b.WriteByte('d')
	case unix.S_IFLNK:
		b.WriteByte('l')
	case unix.S_IFIFO:
		b.WriteByte('p')
	case unix.S_IFSOCK:
		b.WriteByte('s')
	case unix.S_IFCHR:
		b.WriteByte('c')
	case unix.S_IFBLK:
		b.WriteByte('b')
	default:
		b.WriteByte('-')
	}
	special := [3]struct {
		bit       uint32
		set, bare byte
	}{{unix.S_ISUID, 's', 'S'}, {unix.S_ISGID, 's', 'S'}, {unix.S_ISVTX, 't', 'T'}}
	for i, shift := range []uint{6, 3, 0} {
		perm := m >> shift & 7
		b.WriteByte("-r"[perm>>2&1])
		b.WriteByte("-w"[perm>>1&1])
		x := perm&1 == 1
		switch {
		case m&special[i].bit != 0 && x:
			b.WriteByte(special[i].set)
		case m&special[i].bit != 0:
			b.WriteByte(special[i].bare)
		case x:
			b.WriteByte('x')
		default:
			b.WriteByte('-')
		}
	}
	return b.String()
}

// kind names a file type for messages.
func kind(m uint32) string {
	switch m & unix.S_IFMT {
	case unix.S_IFIFO:
		return "fifo"
	case unix.S_IFSOCK:
		return "socket"
	case unix.S_IFCHR:
		return "character device"
	case unix.S_IFBLK:
		return "block device"
	case unix.S_IFLNK:
		return "symlink"
	case unix.S_IFDIR:
		return "directory"
	}
	return "regular file"
}

// ownerNames caches uid and gid lookups for one listing (every entry of a sandbox usually has
// the same owner).
type ownerNames struct{ users, groups map[uint32]string }

func newOwnerNames() *ownerNames {
	return &ownerNames{users: map[uint32]string{}, groups: map[uint32]string{}}
}

func (o *ownerNames) user(id uint32) string {
	if n, ok := o.users[id]; ok {
		return n
	}
	n := strconv.FormatUint(uint64(id), 10)
	if u, err := user.LookupId(n); err == nil {
		n = u.Username
	}
	o.users[id] = n
	return n
}

func (o *ownerNames) group(id uint32) string {
	if n, ok := o.groups[id]; ok {
		return n
	}
	n := strconv.FormatUint(uint64(id), 10)
	if g, err := user.LookupGroupId(n); err == nil {
		n = g.Name
	}
	o.groups[id] = n
	return n
}
