package rootfs

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseMountOptions(t *testing.T) {
	tests := []struct {
		name  string
		opts  []string
		flags uintptr
		prop  []uintptr
		data  string
	}{
		{name: "none"},
		{name: "empty options skipped", opts: []string{"", "ro", ""}, flags: unix.MS_RDONLY},
		{name: "ro", opts: []string{"ro"}, flags: unix.MS_RDONLY},
		{name: "later rw wins", opts: []string{"ro", "rw"}},
		{name: "later ro wins", opts: []string{"rw", "ro"}, flags: unix.MS_RDONLY},
		{name: "nosuid nodev noexec", opts: []string{"nosuid", "nodev", "noexec"},
			flags: unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC},
		{name: "suid dev exec clear", opts: []string{"nosuid", "nodev", "noexec", "suid", "dev", "exec"}},
		{name: "sync async", opts: []string{"sync", "dirsync", "async"}, flags: unix.MS_DIRSYNC},
		{name: "remount", opts: []string{"remount"}, flags: unix.MS_REMOUNT},
		{name: "mand nomand", opts: []string{"mand"}, flags: unix.MS_MANDLOCK},
		{name: "nomand clears", opts: []string{"mand", "nomand"}},
		{name: "atime family", opts: []string{"noatime", "nodiratime", "relatime", "strictatime"},
			flags: unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME | unix.MS_STRICTATIME},
		{name: "atime family cleared", opts: []string{"noatime", "nodiratime", "relatime", "strictatime",
			"atime", "diratime", "norelatime", "nostrictatime"}},
		{name: "bind", opts: []string{"bind"}, flags: unix.MS_BIND},
		{name: "rbind", opts: []string{"rbind"}, flags: unix.MS_BIND | unix.MS_REC},
		{name: "rbind ro", opts: []string{"rbind", "ro"}, flags: unix.MS_BIND | unix.MS_REC | unix.MS_RDONLY},
		{name: "defaults is nothing", opts: []string{"defaults"}},
		{name: "propagation in order", opts: []string{"rbind", "rprivate", "shared", "rslave", "unbindable", "runbindable", "slave", "private", "rshared"},
			flags: unix.MS_BIND | unix.MS_REC,
			prop: []uintptr{unix.MS_PRIVATE | unix.MS_REC, unix.MS_SHARED, unix.MS_SLAVE | unix.MS_REC,
				unix.MS_UNBINDABLE, unix.MS_UNBINDABLE | unix.MS_REC, unix.MS_SLAVE, unix.MS_PRIVATE, unix.MS_SHARED | unix.MS_REC}},
		{name: "tmpfs data", opts: []string{"nosuid", "strictatime", "mode=755", "size=65536k"},
			flags: unix.MS_NOSUID | unix.MS_STRICTATIME, data: "mode=755,size=65536k"},
		{name: "devpts data", opts: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"},
			flags: unix.MS_NOSUID | unix.MS_NOEXEC, data: "newinstance,ptmxmode=0666,mode=0620,gid=5"},
		{name: "unknown passed through", opts: []string{"lowerdir=/a:/b", "xino=off"}, data: "lowerdir=/a:/b,xino=off"},
		{name: "not flags or data", opts: []string{"tmpcopyup", "idmap", "rro"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseMountOptions(tt.opts)
			if err != nil {
				t.Fatalf("parseMountOptions(%q): %v", tt.opts, err)
			}
			flags, prop, data := o.flags, o.propagation, o.data
			if flags != tt.flags {
				t.Errorf("flags = %#x, want %#x", flags, tt.flags)
			}
			if !slices.Equal(prop, tt.prop) {
				t.Errorf("propagation = %#x, want %#x", prop, tt.prop)
			}
			if data != tt.data {
				t.Errorf("data = %q, want %q", data, tt.data)
			}
		})
	}
}

// TestParseMountOptionsRuncExtras: what runc's parser records beyond flags and data — the flags
// an option cleared (a bind remount clears them), the recursive attributes, tmpcopyup, idmap.
func TestParseMountOptionsRuncExtras(t *testing.T) {
	tests := []struct {
		name     string
		opts     []string
		cleared  uintptr
		rec      *unix.MountAttr
		copyUp   bool
		idmap    bool
		idmapRec bool
	}{
		{name: "none", opts: []string{"bind", "ro"}},
		{name: "rw clears ro", opts: []string{"bind", "rw", "suid"}, cleared: unix.MS_RDONLY | unix.MS_NOSUID},
		{name: "set after clear", opts: []string{"rw", "ro", "exec"}, cleared: unix.MS_NOEXEC},
		{name: "clear after set", opts: []string{"ro", "rw"}, cleared: unix.MS_RDONLY},
		{name: "atime clears", opts: []string{"atime", "diratime"}, cleared: unix.MS_NOATIME | unix.MS_NODIRATIME},
		{name: "rro", opts: []string{"rbind", "rro"}, rec: &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}},
		{name: "rro then rrw", opts: []string{"rro", "rrw"}, rec: &unix.MountAttr{Attr_clr: unix.MOUNT_ATTR_RDONLY}},
		{name: "rnosuid rnodev rnoexec", opts: []string{"rnosuid", "rnodev", "rnoexec", "rnosymfollow"},
			rec: &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOEXEC | unix.MOUNT_ATTR_NOSYMFOLLOW}},
		{name: "rnoatime clears the atime field", opts: []string{"rnoatime"},
			rec: &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_NOATIME, Attr_clr: unix.MOUNT_ATTR__ATIME}},
		{name: "rrelatime", opts: []string{"rrelatime"}, rec: &unix.MountAttr{Attr_clr: unix.MOUNT_ATTR__ATIME}},
		{name: "rnodiratime is not an atime mode", opts: []string{"rnodiratime"}, rec: &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_NODIRATIME}},
		{name: "tmpcopyup", opts: []string{"tmpcopyup", "mode=755"}, copyUp: true},
		{name: "idmap", opts: []string{"bind", "idmap"}, idmap: true},
		{name: "ridmap", opts: []string{"rbind", "ridmap"}, idmap: true, idmapRec: true},
		{name: "last idmap wins", opts: []string{"ridmap", "idmap"}, idmap: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseMountOptions(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if o.cleared != tt.cleared {
				t.Errorf("cleared = %s, want %s", flagNames(o.cleared), flagNames(tt.cleared))
			}
			if (o.recursive == nil) != (tt.rec == nil) || o.recursive != nil && *o.recursive != *tt.rec {
				t.Errorf("recursive = %+v, want %+v", o.recursive, tt.rec)
			}
			if o.copyUp != tt.copyUp || o.idmap != tt.idmap || o.idmapRec != tt.idmapRec {
				t.Errorf("copyUp/idmap/idmapRec = %v/%v/%v, want %v/%v/%v", o.copyUp, o.idmap, o.idmapRec, tt.copyUp, tt.idmap, tt.idmapRec)
			}
			if o.data != "" && !strings.Contains(strings.Join(tt.opts, ","), o.data) {
				t.Errorf("data %q", o.data)
			}
		})
	}
}

func TestParseMountOptionsNUL(t *testing.T) {
	if _, err := parseMountOptions([]string{"size=1k\x00,mode=777"}); err == nil {
		t.Fatal("option with a NUL byte accepted")
	}
}

func FuzzParseMountOptions(f *testing.F) {
	f.Add("ro,nosuid,mode=755")
	f.Add("rbind,rprivate,ro")
	f.Add("rw,,suid,exec,size=65536k")
	f.Add("bind\x00")
	f.Fuzz(func(t *testing.T, joined string) {
		opts := strings.Split(joined, ",")
		o, err := parseMountOptions(opts)
		flags, prop, data := o.flags, o.propagation, o.data
		if err != nil {
			if !strings.Contains(joined, "\x00") {
				t.Fatalf("error without NUL byte: %v", err)
			}
			return
		}
		var known uintptr
		for _, f := range mountFlags {
			known |= f.flag
		}
		if flags&^known != 0 {
			t.Fatalf("flags %#x outside the known set", flags)
		}
		for _, p := range prop {
			if !slices.Contains(slices.Collect(maps.Values(propagationFlags)), p) {
				t.Fatalf("propagation %#x unknown", p)
			}
		}
		// Every data item is an option that is neither a flag, a propagation, a recursive
		// attribute nor one of runc's others; none is lost.
		var want []string
		for _, o := range opts {
			_, isFlag := mountFlags[o]
			_, isProp := propagationFlags[o]
			_, isRec := recursiveFlags[o]
			other := o == optCopyUp || o == optIDMap || o == optRIDMap
			if o != "" && !isFlag && !isProp && !isRec && !other {
				want = append(want, o)
			}
		}
		if o.cleared&o.flags != 0 {
			t.Fatalf("flags %#x both set and cleared (%#x)", o.flags, o.cleared)
		}
		if data != strings.Join(want, ",") {
			t.Fatalf("data %q, want %q", data, strings.Join(want, ","))
		}
		// Parsing is deterministic.
		o2, _ := parseMountOptions(opts)
		if o2.flags != flags || !slices.Equal(o2.propagation, prop) || o2.data != data || o2.cleared != o.cleared {
			t.Fatal("second parse differs")
		}
	})
}

func TestParseRootPropagation(t *testing.T) {
	tests := []struct {
		in   string
		want uintptr
		ok   bool
	}{
		{"shared", unix.MS_SHARED, true},
		{"rshared", unix.MS_SHARED | unix.MS_REC, true},
		{"slave", unix.MS_SLAVE, true},
		{"rslave", unix.MS_SLAVE | unix.MS_REC, true},
		{"private", unix.MS_PRIVATE, true},
		{"rprivate", unix.MS_PRIVATE | unix.MS_REC, true},
		{"unbindable", unix.MS_UNBINDABLE, true},
		{"runbindable", unix.MS_UNBINDABLE | unix.MS_REC, true},
		{"ro", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseRootPropagation(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Fatalf("parseRootPropagation(%q) = %#x, %v; want %#x, ok=%v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestStatfsMountFlags(t *testing.T) {
	tests := []struct {
		name    string
		stFlags int64
		want    uintptr
	}{
		{"nothing is strictatime", 0, unix.MS_STRICTATIME},
		{"read-only", unix.ST_RDONLY | unix.ST_RELATIME, unix.MS_RDONLY | unix.MS_RELATIME},
		{"nosuid nodev noexec", unix.ST_NOSUID | unix.ST_NODEV | unix.ST_NOEXEC | unix.ST_RELATIME,
			unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_RELATIME},
		{"noatime nodiratime", unix.ST_NOATIME | unix.ST_NODIRATIME, unix.MS_NOATIME | unix.MS_NODIRATIME},
		{"nodiratime alone is still strictatime", unix.ST_NODIRATIME, unix.MS_NODIRATIME | unix.MS_STRICTATIME},
		{"nosymfollow", stNosymfollow | unix.ST_RELATIME, unix.MS_NOSYMFOLLOW | unix.MS_RELATIME},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := statfsMountFlags(tt.stFlags); got != tt.want {
				t.Fatalf("statfsMountFlags(%#x) = %s, want %s", tt.stFlags, flagNames(got), flagNames(tt.want))
			}
		})
	}
}

func TestFlagNames(t *testing.T) {
	for in, want := range map[uintptr]string{
		0:                                    "",
		unix.MS_RDONLY:                       "MS_RDONLY",
		unix.MS_RDONLY | unix.MS_NOSUID:      "MS_RDONLY|MS_NOSUID",
		unix.MS_STRICTATIME | unix.MS_SILENT: "MS_STRICTATIME|0x8000",
	} {
		if got := flagNames(in); got != want {
			t.Errorf("flagNames(%#x) = %q, want %q", in, got, want)
		}
	}
}
