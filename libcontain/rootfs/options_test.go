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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			flags, prop, data, err := ParseMountOptions(tt.opts)
			if err != nil {
				t.Fatalf("ParseMountOptions(%q): %v", tt.opts, err)
			}
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

func TestParseMountOptionsNUL(t *testing.T) {
	if _, _, _, err := ParseMountOptions([]string{"size=1k\x00,mode=777"}); err == nil {
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
		flags, prop, data, err := ParseMountOptions(opts)
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
		// Every data item is an option that is neither a flag nor a propagation; none is lost.
		var want []string
		for _, o := range opts {
			_, isFlag := mountFlags[o]
			_, isProp := propagationFlags[o]
			if o != "" && !isFlag && !isProp {
				want = append(want, o)
			}
		}
		if data != strings.Join(want, ",") {
			t.Fatalf("data %q, want %q", data, strings.Join(want, ","))
		}
		// Parsing is deterministic.
		f2, p2, d2, _ := ParseMountOptions(opts)
		if f2 != flags || !slices.Equal(p2, prop) || d2 != data {
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

func TestMergeLockedFlags(t *testing.T) {
	const base = unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY
	tests := []struct {
		name    string
		flags   uintptr
		stFlags int64
		want    uintptr
	}{
		{"nothing locked", base, 0, base},
		{"read-only is not copied", base &^ unix.MS_RDONLY, stRdonly, base &^ unix.MS_RDONLY},
		{"nosuid nodev noexec kept", base, stNosuid | stNodev | stNoexec,
			base | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC},
		{"atime mode of the mount kept", base, stNoatime | stNodiratime, base | unix.MS_NOATIME | unix.MS_NODIRATIME},
		{"relatime maps to MS_RELATIME", base, stRelatime, base | unix.MS_RELATIME},
		{"asked atime mode wins", base | unix.MS_STRICTATIME, stRelatime | stNosuid, base | unix.MS_STRICTATIME | unix.MS_NOSUID},
		{"nosymfollow kept", base, stNosymfollow, base | unix.MS_NOSYMFOLLOW},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mergeLockedFlags(tt.flags, tt.stFlags); got != tt.want {
				t.Fatalf("mergeLockedFlags(%#x, %#x) = %#x, want %#x", tt.flags, tt.stFlags, got, tt.want)
			}
		})
	}
}
