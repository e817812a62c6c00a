//go:build linux

package e2e

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// TestParityBindFlags: the flags of a bind mount follow runc's mount(8)-like rules (runc's
// mounts_sshfs.bats, on a tmpfs): "bind" alone keeps the source's flags; any flag given or
// cleared makes the mount get exactly the flags given, clearing the rest where the kernel allows.
// In a user namespace the source's flags are locked: they are kept unless the options clear one
// explicitly, which fails with runc's "error mounting ... operation not permitted".
func TestParityBindFlags(t *testing.T) {
	tests := []struct {
		name      string
		hostFlags uintptr // on the source mount, beyond MS_BIND|MS_REMOUNT
		options   []string
		want      map[bool][]string // userns -> options /mnt must have ("-x": must not have x)
		failNS    bool              // with a user namespace, the mount is refused
	}{
		{
			name:      "bind alone keeps the source's flags",
			hostFlags: unix.MS_RDONLY | unix.MS_NOEXEC | unix.MS_NOSYMFOLLOW | unix.MS_NODIRATIME,
			options:   []string{"bind"},
			want: map[bool][]string{
				false: {"ro", "-rw", "noexec", "nodiratime", "nosymfollow"},
				true:  {"ro", "-rw", "noexec", "nodiratime", "nosymfollow"},
			},
		},
		{
			name:      "a clearing flag clears the rest",
			hostFlags: unix.MS_RDONLY | unix.MS_NOEXEC | unix.MS_NOSYMFOLLOW | unix.MS_NODIRATIME,
			options:   []string{"bind", "dev"},
			want: map[bool][]string{
				false: {"rw", "-noexec", "-nosymfollow", "nodiratime"},
				// Locked flags stay; nosymfollow is not lockable.
				true: {"ro", "noexec", "nodiratime", "-nosymfollow"},
			},
		},
		{
			name:      "implied rw of a read-only source",
			hostFlags: unix.MS_RDONLY,
			options:   []string{"bind", "nosuid", "nodev", "rprivate"},
			want: map[bool][]string{
				false: {"rw", "nosuid", "nodev"},
				true:  {"ro", "nosuid", "nodev"},
			},
		},
		{
			name:      "explicit rw of a read-only source",
			hostFlags: unix.MS_RDONLY,
			options:   []string{"bind", "rw", "nosuid", "nodev", "rprivate"},
			want:      map[bool][]string{false: {"rw", "nosuid", "nodev"}},
			failNS:    true,
		},
		{
			name:      "clearing nosuid nodev noexec noatime",
			hostFlags: unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_NOATIME,
			options:   []string{"bind", "dev", "suid", "exec", "atime"},
			// As with mount(8), "atime" alone does not clear noatime.
			want:   map[bool][]string{false: {"rw", "-nosuid", "-nodev", "-noexec", "noatime"}},
			failNS: true,
		},
		{
			name:      "ro of a nodev nosuid noexec source",
			hostFlags: unix.MS_NODEV | unix.MS_NOSUID | unix.MS_NOEXEC | unix.MS_NOATIME,
			options:   []string{"bind", "ro"},
			want: map[bool][]string{
				false: {"ro", "-nosuid", "-nodev", "-noexec"},
				true:  {"ro", "nosuid", "nodev", "noexec"},
			},
		},
	}
	for _, tt := range tests {
		for _, userns := range []bool{false, true} {
			name := tt.name
			if userns {
				name += ", user namespace"
			}
			t.Run(name, func(t *testing.T) {
				src := filepath.Join(openDir(t), "fs")
				hostTmpfs(t, src, "")
				if err := unix.Mount("", src, "", unix.MS_BIND|unix.MS_REMOUNT|tt.hostFlags, ""); err != nil {
					t.Fatalf("set the source's flags: %v", err)
				}
				r := newRunner(t)
				_, root := privateRoot(t, userns)
				c := r.newContainer(func(s *specs.Spec) {
					root(s)
					s.Mounts = append(s.Mounts, specs.Mount{Source: src, Destination: "/mnt", Type: "bind", Options: tt.options})
					s.Process.Args = []string{"cat", "/proc/self/mounts"}
				})
				res := r.run("run", "--bundle", c.bundle, c.id)
				if userns && tt.failNS {
					if res.code == 0 || !strings.Contains(res.stderr, "error mounting") || !strings.Contains(res.stderr, "operation not permitted") {
						t.Fatalf("want the locked flags refused (error mounting ... operation not permitted): %s", res)
					}
					oneLineError(t, res, "/mnt")
					return
				}
				if res.code != 0 {
					t.Fatalf("want exit 0: %s", res)
				}
				opts := mountOptions(res.stdout, "/mnt")
				for _, w := range tt.want[userns] {
					if no, ok := strings.CutPrefix(w, "-"); ok {
						if slices.Contains(opts, no) {
							t.Errorf("/mnt options %v: %s must be cleared", opts, no)
						}
					} else if !slices.Contains(opts, w) {
						t.Errorf("/mnt options %v: want %s", opts, w)
					}
				}
			})
		}
	}
}
