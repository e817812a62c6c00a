package cgroups

import (
	"reflect"
	"strings"
	"testing"
)

const hybridSelf = `9:name=systemd:/
8:pids:/
7:blkio:/
6:freezer:/
5:devices:/
4:memory:/process_api/7a51
3:cpuset:/
2:cpuacct:/
1:cpu:/
0::/
`

func TestParseProcCgroup(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []ProcCgroup
		wantErr bool
	}{
		{name: "v2", in: "0::/user.slice/x\n", want: []ProcCgroup{{ID: 0, Path: "/user.slice/x"}}},
		{name: "comounted", in: "3:cpu,cpuacct:/a\n", want: []ProcCgroup{{ID: 3, Controllers: []string{"cpu", "cpuacct"}, Path: "/a"}}},
		{name: "colon in path", in: "1:name=systemd:/a:b\n", want: []ProcCgroup{{ID: 1, Controllers: []string{"name=systemd"}, Path: "/a:b"}}},
		{name: "empty", in: "", want: nil},
		{name: "missing field", in: "1:cpu\n", wantErr: true},
		{name: "bad id", in: "x:cpu:/\n", wantErr: true},
		{name: "relative path", in: "1:cpu:a\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseProcCgroup([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	got, err := ParseProcCgroup([]byte(hybridSelf))
	if err != nil || len(got) != 10 || got[0].otherNamed() || !got[9].unified() || got[5].Path != "/process_api/7a51" {
		t.Fatalf("hybrid: %+v, %v", got, err)
	}
}

const hybridMountinfo = `22 1 0:20 / /sys rw,nosuid - sysfs sysfs rw
30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 30 0:31 / /sys/fs/cgroup/memory rw,relatime shared:5 master:3 - cgroup cgroup rw,memory
39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
41 1 0:38 /docker/x /mnt/with\040space rw - cgroup cgroup rw,pids
`

func TestParseCgroupMounts(t *testing.T) {
	got, err := ParseCgroupMounts([]byte(hybridMountinfo))
	if err != nil {
		t.Fatal(err)
	}
	want := []Mount{
		{Mountpoint: "/sys/fs/cgroup/cpu", Root: "/", FSType: "cgroup", Options: []string{"rw", "cpu"}},
		{Mountpoint: "/sys/fs/cgroup/cpuacct", Root: "/", FSType: "cgroup", Options: []string{"rw", "cpuacct"}},
		{Mountpoint: "/sys/fs/cgroup/memory", Root: "/", FSType: "cgroup", Options: []string{"rw", "memory"}},
		{Mountpoint: "/sys/fs/cgroup/systemd", Root: "/", FSType: "cgroup", Options: []string{"rw", "name=systemd"}},
		{Mountpoint: "/sys/fs/cgroup/unified", Root: "/", FSType: "cgroup2", Options: []string{"rw"}},
		{Mountpoint: "/mnt/with space", Root: "/docker/x", FSType: "cgroup", Options: []string{"rw", "pids"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	for _, bad := range []string{"1 2 3\n", "31 30 0:28 / /x rw,relatime -\n"} {
		if _, err := ParseCgroupMounts([]byte(bad)); err == nil {
			t.Errorf("ParseCgroupMounts(%q): want error", bad)
		}
	}
}

func FuzzParseProcCgroup(f *testing.F) {
	f.Add([]byte(hybridSelf))
	f.Add([]byte("0::/\n"))
	f.Add([]byte("1:a,b:/x:y\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := ParseProcCgroup(b)
		if err != nil {
			return
		}
		for _, e := range got {
			if !strings.HasPrefix(e.Path, "/") || e.ID < 0 {
				t.Fatalf("accepted bad entry %+v", e)
			}
		}
	})
}

func FuzzParseCgroupMounts(f *testing.F) {
	f.Add([]byte(hybridMountinfo))
	f.Add([]byte(`1 2 0:1 /a\134b /m\040x rw - cgroup2 none rw`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := ParseCgroupMounts(b)
		if err != nil {
			return
		}
		for _, m := range got {
			if m.FSType != "cgroup" && m.FSType != "cgroup2" {
				t.Fatalf("non-cgroup mount %+v", m)
			}
		}
	})
}

func FuzzRelPath(f *testing.F) {
	f.Add("/a/b", "id", "/own", "/")
	f.Add("../x", "id", "/own", "/")
	f.Add("", "c1", "/docker/a/b", "/docker/a")
	f.Fuzz(func(t *testing.T, p, id, own, root string) {
		got, err := relPath(p, id, own, root)
		if err != nil {
			return
		}
		// Whatever is accepted must be a clean absolute path with no "..".
		if !strings.HasPrefix(got, "/") || strings.Contains("/"+got+"/", "/../") {
			t.Fatalf("relPath(%q, %q, %q, %q) = %q", p, id, own, root, got)
		}
	})
}
