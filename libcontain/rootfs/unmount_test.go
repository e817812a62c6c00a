package rootfs

import (
	"reflect"
	"testing"
)

func TestMountsUnder(t *testing.T) {
	info := []byte(`22 1 0:20 / /r rw - ext4 /dev/vda rw
23 22 0:21 / /r/proc rw - proc proc rw
24 22 0:22 / /r/dev rw - tmpfs tmpfs rw
25 24 0:23 / /r/dev/pts rw - devpts devpts rw
26 1 0:24 / /rr rw - tmpfs tmpfs rw
27 22 0:25 / /r/with\040space rw - tmpfs tmpfs rw
bad line
`)
	got := MountsUnder(info, "/r/")
	want := []string{"/r/with space", "/r/dev/pts", "/r/proc", "/r/dev", "/r"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("MountsUnder = %q, want %q", got, want)
	}
}

func FuzzMountsUnder(f *testing.F) {
	f.Add([]byte("22 1 0:20 / /r rw - ext4 /dev/vda rw\n"), "/r")
	f.Add([]byte(`1 2 3 4 /a\0 x`), "/a")
	f.Fuzz(func(t *testing.T, b []byte, dir string) {
		_ = MountsUnder(b, dir)
	})
}

func TestFullProcSysMounts(t *testing.T) {
	mi := []byte(`22 1 0:21 / /proc rw,nosuid - proc proc rw
23 1 0:22 / /sys rw - sysfs sysfs rw
24 23 0:23 / /sys/fs/cgroup rw - tmpfs tmpfs rw
25 22 0:24 / /proc/sys/fs/binfmt_misc rw - autofs systemd-1 rw
26 1 0:21 /sys /host/procsys rw - proc proc rw
27 1 0:25 / /run/c/rootfs/proc rw - proc proc rw
28 1 0:26 / /mnt/with\040space rw - sysfs sysfs rw
29 1 0:27 / /run/c/rootfsx/proc rw - proc proc rw
`)
	got := FullProcSysMounts(mi, "/run/c/rootfs")
	want := []string{"/run/c/rootfsx/proc", "/mnt/with space", "/proc", "/sys"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("FullProcSysMounts = %q, want %q", got, want)
	}
}
