package main

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/contain-runtime/contain/libcontain/cgroups/fs1"
	"github.com/contain-runtime/contain/libcontain/cgroups/fs2"
	"github.com/contain-runtime/contain/spec"
	"github.com/contain-runtime/contain/state"
)

// parseQuickArgs parses `run` + args the way the CLI does (the quick flags plus run's --detach)
// and returns parseQuick's result. No root needed: parsing touches nothing but the rootfs path.
func parseQuickArgs(t *testing.T, args ...string) (*quick, error) {
	t.Helper()
	var q *quick
	var perr error
	app := &cli.App{
		Name: "contain", Writer: io.Discard, ErrWriter: io.Discard,
		Commands: []*cli.Command{{
			Name:  "run",
			Flags: append(quickFlags(), &cli.BoolFlag{Name: "detach", Aliases: []string{"d"}}),
			Action: func(c *cli.Context) error {
				q, perr = parseQuick(c)
				return nil
			},
		}},
	}
	if err := app.Run(append([]string{"contain", "run"}, args...)); err != nil {
		t.Fatalf("cli: %v", err)
	}
	return q, perr
}

func TestParseQuickFlags(t *testing.T) {
	rootfs := t.TempDir()
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(rootfs, link); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, q *quick)
	}{
		{"memory 64M", []string{"--memory", "64M"}, func(t *testing.T, q *quick) { wantInt(t, q.opts.Memory, 67108864) }},
		{"memory 1G", []string{"--memory", "1G"}, func(t *testing.T, q *quick) { wantInt(t, q.opts.Memory, 1073741824) }},
		{"memory 512K", []string{"--memory", "512K"}, func(t *testing.T, q *quick) { wantInt(t, q.opts.Memory, 524288) }},
		{"memory bytes", []string{"--memory", "1048576"}, func(t *testing.T, q *quick) { wantInt(t, q.opts.Memory, 1048576) }},
		{"no memory flag: no limit", nil, func(t *testing.T, q *quick) { wantInt(t, q.opts.Memory, 0) }},
		{"cpu 50000", []string{"--cpu", "50000"}, func(t *testing.T, q *quick) { wantInt(t, q.opts.CPUQuota, 50000) }},
		{"cpus 1.5", []string{"--cpus", "1.5"}, func(t *testing.T, q *quick) { wantInt(t, q.opts.CPUQuota, 150000) }},
		{"pids 64", []string{"--pids", "64"}, func(t *testing.T, q *quick) { wantInt(t, q.opts.Pids, 64) }},
		{"name", []string{"--name", "web"}, func(t *testing.T, q *quick) {
			if q.name != "web" || q.opts.CgroupsPath != "contain/web" {
				t.Errorf("name %q cgroupsPath %q, want web and contain/web", q.name, q.opts.CgroupsPath)
			}
		}},
		{"generated name", nil, func(t *testing.T, q *quick) {
			if !regexp.MustCompile(`^c-[0-9a-f]+$`).MatchString(q.name) || state.ValidateID(q.name) != nil {
				t.Errorf("generated name %q", q.name)
			}
			if q.opts.CgroupsPath != spec.QuickCgroupsPath(q.name) {
				t.Errorf("cgroupsPath %q for %q", q.opts.CgroupsPath, q.name)
			}
		}},
		{"rootfs resolved", nil, func(t *testing.T, q *quick) {
			if q.opts.Rootfs != rootfs {
				t.Errorf("rootfs %q, want %q", q.opts.Rootfs, rootfs)
			}
		}},
		{"net host", []string{"--net", "host"}, func(t *testing.T, q *quick) {
			if !q.opts.NetHost {
				t.Error("--net host kept the network namespace")
			}
		}},
		{"net none by default", nil, func(t *testing.T, q *quick) {
			if q.opts.NetHost {
				t.Error("default shares the host network")
			}
		}},
		{"user uid:gid", []string{"--user", "1000:1001"}, func(t *testing.T, q *quick) {
			wantInt(t, int64(q.opts.UID), 1000)
			wantInt(t, int64(q.opts.GID), 1001)
		}},
		{"user uid only", []string{"-u", "7"}, func(t *testing.T, q *quick) {
			wantInt(t, int64(q.opts.UID), 7)
			wantInt(t, int64(q.opts.GID), 7)
		}},
		{"env, workdir, hostname, read-only", []string{"--env", "A=1", "--env", "B=2", "-w", "/srv", "--hostname", "h", "--read-only"}, func(t *testing.T, q *quick) {
			if !slices.Equal(q.opts.Env, []string{"A=1", "B=2"}) || q.opts.Workdir != "/srv" || q.opts.Hostname != "h" || !q.opts.ReadOnly {
				t.Errorf("opts %+v", q.opts)
			}
		}},
		{"volumes", []string{"-v", "tmp:/tmp", "-v", "/a:/b:ro"}, func(t *testing.T, q *quick) {
			if !slices.Equal(q.volumes, []string{"tmp:/tmp", "/a:/b:ro"}) {
				t.Errorf("volumes %q", q.volumes)
			}
		}},
		{"overlay on by default", nil, func(t *testing.T, q *quick) {
			if !q.overlay {
				t.Error("overlay off by default")
			}
		}},
		{"overlay=false", []string{"--overlay=false"}, func(t *testing.T, q *quick) {
			if q.overlay {
				t.Error("--overlay=false left the overlay on")
			}
		}},
		{"quiet", []string{"-q"}, func(t *testing.T, q *quick) {
			if q.out != io.Discard {
				t.Error("--quiet still prints progress")
			}
		}},
		{"detach: no terminal", []string{"-d"}, func(t *testing.T, q *quick) {
			if !q.detach || q.opts.Terminal {
				t.Errorf("detach %v terminal %v", q.detach, q.opts.Terminal)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--rootfs", link}, tc.args...)
			q, err := parseQuickArgs(t, append(args, "--", "sh", "-c", "x")...)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(q.opts.Args, []string{"sh", "-c", "x"}) {
				t.Errorf("args %q", q.opts.Args)
			}
			tc.check(t, q)
		})
	}
}

func wantInt(t *testing.T, got, want int64) {
	t.Helper()
	if got != want {
		t.Errorf("got %d, want %d", got, want)
	}
}

func TestParseQuickErrors(t *testing.T) {
	rootfs := t.TempDir()
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--memory", "64Q", "--", "x"}, `--memory: invalid size "64Q": unknown unit "Q"`},
		{[]string{"--memory", "-1", "--", "x"}, `--memory: invalid size "-1"`},
		{[]string{"--memory=", "--", "x"}, `--memory: invalid size "": empty`},
		{[]string{"--memory", "99999999999999999999", "--", "x"}, "too large"},
		{[]string{"--memory", "0", "--", "x"}, "not a positive size"},
		{[]string{"--cpu", "0", "--", "x"}, `invalid --cpu "0"`},
		{[]string{"--cpu", "999", "--", "x"}, `invalid --cpu "999"`},
		{[]string{"--cpu", "100000001", "--", "x"}, `invalid --cpu "100000001"`},
		{[]string{"--cpus", "0", "--", "x"}, `invalid --cpus "0"`},
		{[]string{"--cpu", "50000", "--cpus", "1", "--", "x"}, "give one"},
		{[]string{"--pids", "0", "--", "x"}, `invalid --pids "0"`},
		{[]string{"--pids", "ten", "--", "x"}, `invalid --pids "ten"`},
		{[]string{"--volume", "nocolon", "--", "x"}, `invalid volume "nocolon"`},
		{[]string{"--net", "bridge", "--", "x"}, `invalid --net "bridge"`},
		{[]string{"--user", "root", "--", "x"}, `invalid --user "root"`},
		{[]string{"--user", "1:g", "--", "x"}, `invalid --user "1:g"`},
		{[]string{"--name", "../x", "--", "x"}, "id"},
		{[]string{"--name", "a/b", "--", "x"}, "id"},
		{nil, "no command given"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			q, err := parseQuickArgs(t, append([]string{"--rootfs", rootfs}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v (quick %v), want it to contain %q", err, q, tc.want)
			}
		})
	}
	for name, dir := range map[string]string{"missing": "/nonexistent-contain-rootfs", "a file": file} {
		t.Run("rootfs "+name, func(t *testing.T) {
			_, err := parseQuickArgs(t, "--rootfs", dir, "--", "x")
			if err == nil || !strings.Contains(err.Error(), dir) {
				t.Fatalf("err %v, want it to name %s", err, dir)
			}
		})
	}
}

// TestQuickCgroupFiles: what `--memory 64M --cpu 50000 --pids 64` becomes in cgroup files, through
// spec.Quick and each driver, on fake hierarchies in temp dirs.
func TestQuickCgroupFiles(t *testing.T) {
	q, err := parseQuickArgs(t, "--rootfs", t.TempDir(), "--memory", "64M", "--cpu", "50000", "--pids", "64", "--", "sh")
	if err != nil {
		t.Fatal(err)
	}
	s, err := spec.Quick(q.opts)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("v1", func(t *testing.T) {
		root := t.TempDir()
		files := map[string]map[string]string{
			"memory":  {"memory.limit_in_bytes": "9223372036854771712", "memory.memsw.limit_in_bytes": "9223372036854771712", "memory.use_hierarchy": "1"},
			"cpu":     {"cpu.shares": "1024", "cpu.cfs_quota_us": "-1", "cpu.cfs_period_us": "100000"},
			"pids":    {"pids.max": "max"},
			"devices": {"devices.allow": "", "devices.deny": ""},
		}
		mounts, paths := map[string]string{}, map[string]string{}
		for ctrl, fs := range files {
			dir := filepath.Join(root, ctrl, "contain", q.name)
			writeFiles(t, dir, fs)
			mounts[ctrl], paths[ctrl] = filepath.Join(root, ctrl), dir
		}
		m, err := fs1.New(mounts, paths)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Set(s.Linux.Resources); err != nil {
			t.Fatal(err)
		}
		wantFiles(t, map[string]string{
			filepath.Join(paths["cpu"], "cpu.cfs_quota_us"):         "50000",
			filepath.Join(paths["cpu"], "cpu.cfs_period_us"):        "100000",
			filepath.Join(paths["memory"], "memory.limit_in_bytes"): "67108864",
			filepath.Join(paths["pids"], "pids.max"):                "64",
		})
	})
	t.Run("v2", func(t *testing.T) {
		mount := t.TempDir()
		dir := filepath.Join(mount, "contain", q.name)
		writeFiles(t, dir, map[string]string{
			"cgroup.procs": "", "cpu.weight": "100", "cpu.max": "max 100000", "memory.max": "max",
			"memory.swap.max": "max", "memory.high": "max", "memory.low": "0", "pids.max": "max",
		})
		m, err := fs2.New(mount, dir)
		if err != nil {
			t.Fatal(err)
		}
		// The device rules become an eBPF program, which a temp dir cannot take.
		r := *s.Linux.Resources
		r.Devices = nil
		if err := m.Set(&r); err != nil {
			t.Fatal(err)
		}
		wantFiles(t, map[string]string{
			filepath.Join(dir, "cpu.max"):    spec.CPUMax(50000, spec.CPUPeriod),
			filepath.Join(dir, "memory.max"): "67108864",
			filepath.Join(dir, "pids.max"):   "64",
		})
	})
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for f, v := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func wantFiles(t *testing.T, want map[string]string) {
	t.Helper()
	for f, w := range want {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Error(err)
			continue
		}
		if got := strings.TrimSpace(string(b)); got != w {
			t.Errorf("%s = %q, want %q", filepath.Base(f), got, w)
		}
	}
}
