//go:build linux

package cri

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// What the host shows of a pod: cgroups in the v1 hierarchies, mounts, shim processes.

// mountEntry is one line of /proc/self/mountinfo.
type mountEntry struct {
	point  string
	fstype string
	super  string // super options: a v1 cgroup mount's controllers
}

// mounts lists /proc/self/mountinfo. Mount points are taken as written: the paths the suite
// looks for (its work dir, the cgroup hierarchies) hold no character mountinfo escapes.
func mounts() []mountEntry {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []mountEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		sep := -1
		for i, f := range fields {
			if f == "-" {
				sep = i
				break
			}
		}
		if len(fields) < 5 || sep < 0 || sep+3 >= len(fields) {
			continue
		}
		out = append(out, mountEntry{point: fields[4], fstype: fields[sep+1], super: fields[sep+3]})
	}
	return out
}

// mountsUnder lists mount points below dir, deepest first.
func mountsUnder(dir string) []string {
	var out []string
	for _, m := range mounts() {
		if strings.HasPrefix(m.point, dir+"/") {
			out = append(out, m.point)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(out)))
	return out
}

// mountsMentioning lists mount points whose path contains s (a container id, a netns path).
func mountsMentioning(s string) []string {
	var out []string
	for _, m := range mounts() {
		if strings.Contains(m.point, s) {
			out = append(out, m.point)
		}
	}
	return out
}

// cgroupMounts maps each v1 controller (and name=<x> hierarchy) to its mount point.
func cgroupMounts() map[string]string {
	out := map[string]string{}
	for _, m := range mounts() {
		if m.fstype != "cgroup" {
			continue
		}
		for _, opt := range strings.Split(m.super, ",") {
			if opt != "rw" && opt != "ro" {
				out[opt] = m.point
			}
		}
	}
	return out
}

// hierarchies lists the distinct cgroup hierarchy mount points: the v1 ones and, on a hybrid
// host, the unified one (runc creates the container's group there too).
func hierarchies() []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range mounts() {
		if (m.fstype == "cgroup" || m.fstype == "cgroup2") && !seen[m.point] {
			seen[m.point] = true
			out = append(out, m.point)
		}
	}
	sort.Strings(out)
	return out
}

// cgroupDirs lists the hierarchies in which cgroup path cg exists.
func cgroupDirs(cg string) []string {
	var out []string
	for _, h := range hierarchies() {
		dir := filepath.Join(h, cg)
		if _, err := os.Stat(dir); err == nil {
			out = append(out, dir)
		}
	}
	return out
}

// cgroupFile reads file of controller's cgroup at path cg.
func cgroupFile(t *testing.T, controller, cg, file string) string {
	t.Helper()
	mnt, ok := cgroupMounts()[controller]
	if !ok {
		t.Fatalf("no cgroup v1 %s hierarchy mounted", controller)
	}
	b, err := os.ReadFile(filepath.Join(mnt, cg, file))
	if err != nil {
		t.Fatalf("read %s cgroup file: %v", controller, err)
	}
	return strings.TrimSpace(string(b))
}

// makeCgroup creates cgroup path cg in controller's hierarchy (the kubelet's part for a pod
// cgroup) and writes the given files.
func makeCgroup(t *testing.T, controller, cg string, files map[string]string) {
	t.Helper()
	mnt, ok := cgroupMounts()[controller]
	if !ok {
		t.Fatalf("no cgroup v1 %s hierarchy mounted", controller)
	}
	dir := filepath.Join(mnt, cg)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, value := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(value), 0o644); err != nil {
			t.Fatalf("write %s: %v", name, err)
		}
	}
}

// removeEmptyCgroups removes cgroup path cg and everything below it, deepest first, in every
// hierarchy; rmdir removes only groups without processes. It returns the groups that stayed.
func removeEmptyCgroups(cg string) []string {
	var stayed []string
	for _, h := range hierarchies() {
		root := filepath.Join(h, cg)
		var dirs []string
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, path)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			if err := os.Remove(dirs[i]); err != nil {
				stayed = append(stayed, dirs[i])
			}
		}
	}
	return stayed
}

// process is a process found in /proc.
type process struct {
	pid     int
	cmdline string
	args    []string
}

// flag is the value following flag in the process's arguments ("" if absent).
func (p process) flag(flag string) string {
	for i := 0; i+1 < len(p.args); i++ {
		if p.args[i] == flag {
			return p.args[i+1]
		}
	}
	return ""
}

// shimSocket is the socket a shim serves at, named as containerd 1.6 names it: the sha256 of
// containerd's address, namespace and id under /run/containerd/s. A shim that is killed leaves
// it behind.
func shimSocket(p process) string {
	sum := sha256.Sum256([]byte(filepath.Join(p.flag("-address"), p.flag("-namespace"), p.flag("-id"))))
	return "/run/containerd/s/" + hex.EncodeToString(sum[:])
}

// killCgroupProcs SIGKILLs every process in cgroup path cg and below it (pids hierarchy) and
// describes each.
func killCgroupProcs(cg string) []string {
	mnt, ok := cgroupMounts()["pids"]
	if !ok {
		return nil
	}
	var killed []string
	filepath.WalkDir(filepath.Join(mnt, cg), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "cgroup.procs" {
			return nil
		}
		b, _ := os.ReadFile(path)
		for _, f := range strings.Fields(string(b)) {
			pid, err := strconv.Atoi(f)
			if err != nil {
				continue
			}
			cmd, _ := os.ReadFile(filepath.Join("/proc", f, "cmdline"))
			syscall.Kill(pid, syscall.SIGKILL)
			killed = append(killed, fmt.Sprintf("process %d (%s)", pid, strings.TrimSpace(strings.ReplaceAll(string(cmd), "\x00", " "))))
		}
		return nil
	})
	return killed
}

// shimsOf lists the shim processes serving containerd socket sock, for sandbox id (or all
// when id is "").
func shimsOf(sock, id string) []process {
	var out []process
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		if !hasFlag(args, "-address", sock) || (id != "" && !hasFlag(args, "-id", id)) {
			continue
		}
		if filepath.Base(args[0]) == "containerd" {
			continue
		}
		out = append(out, process{pid: pid, cmdline: strings.Join(args, " "), args: args})
	}
	return out
}

func hasFlag(args []string, flag, value string) bool {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == flag && args[i+1] == value {
			return true
		}
	}
	return false
}

// nsOf is the namespace link of a process, e.g. "net:[4026531840]".
func nsOf(t *testing.T, pid, ns string) string {
	t.Helper()
	link, err := os.Readlink(filepath.Join("/proc", pid, "ns", ns))
	if err != nil {
		t.Fatal(err)
	}
	return link
}
