//go:build linux

// Command stress is `make stress`: create/start/delete cycles against a runtime binary, with
// kill -9 of a runtime process (create, start or delete) or of the container's init at a random
// point in some of them. After every cycle `delete --force` must leave nothing of the container;
// at the end every kind of leftover is counted over the whole run and one line says
//
//	stress: N cycles, K kills (create a, start b, delete c, init d), leaks=0 (...) in T
//
// The exit status is 0 only if every cycle recovered and nothing leaked.
//
// What counts as a leak: a cgroup dir of a stress container in any hierarchy (searched below
// the runtime's own cgroup, where relative cgroupsPaths go), a mount whose path names the stress
// dirs, a state dir, a sandbox, a monitor or guard process, a zombie, or any other process still
// running with a stress container's id or dirs in its command line.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/contain-runtime/contain/tests/bundle"
	"golang.org/x/sys/unix"
)

func main() {
	binary := flag.String("binary", "./contain", "runtime under test")
	rootfs := flag.String("rootfs", "build/rootfs", "busybox root filesystem (make rootfs)")
	cycles := flag.Int("cycles", 1000, "create/start/delete cycles")
	kills := flag.Int("kills", 100, "cycles with a kill -9")
	seed := flag.Uint64("seed", 0, "random seed (0: from the clock; printed)")
	verbose := flag.Bool("v", false, "print every kill")
	flag.Parse()
	if *kills > *cycles {
		fail("-kills %d is more than -cycles %d", *kills, *cycles)
	}
	if *seed == 0 {
		*seed = uint64(time.Now().UnixNano())
	}
	bin, err := filepath.Abs(*binary)
	if err != nil {
		fail("%v", err)
	}
	rfs, err := filepath.Abs(*rootfs)
	if err != nil {
		fail("%v", err)
	}
	if _, err := os.Stat(filepath.Join(rfs, "bin", "sh")); err != nil {
		fail("rootfs %s has no /bin/sh (make rootfs): %v", rfs, err)
	}
	tmp, err := os.MkdirTemp("", "contain-stress-")
	if err != nil {
		fail("%v", err)
	}
	s := &stress{
		binary: bin, rootfs: rfs, dir: tmp,
		root: filepath.Join(tmp, "state"), work: filepath.Join(tmp, "work"),
		tag:  fmt.Sprintf("stress%x", *seed&0xffffff),
		rnd:  rand.New(rand.NewPCG(*seed, 0x5eed)),
		verb: *verbose, killsBy: map[string]int{}, took: map[string]time.Duration{},
	}
	fmt.Printf("stress: %s, %d cycles, %d kills, seed %d, dir %s\n", filepath.Base(bin), *cycles, *kills, *seed, tmp)
	// Kills are spread evenly at random over the run; a kill that lands after its command has
	// already finished does not count, and the next cycle tries again.
	killAt := map[int]bool{}
	for _, i := range s.rnd.Perm(*cycles)[:*kills] {
		killAt[i] = true
	}
	owed := 0
	// A subreaper, as a containerd shim is: the init of a container outlives the create that
	// started it and is reparented here, where it is reaped between cycles.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fail("become a subreaper: %v", err)
	}
	start := time.Now()
	zombiesBefore := zombies()
	for i := 0; i < *cycles; i++ {
		if killAt[i] {
			owed++
		}
		before := s.killed
		if err := s.cycle(i, owed > 0); err != nil {
			s.failures = append(s.failures, fmt.Sprintf("cycle %d: %v", i, err))
		}
		reapOrphans()
		owed -= s.killed - before
		if (i+1)%100 == 0 {
			fmt.Printf("stress: %d/%d cycles, %d kills, %d failures, %v\n", i+1, *cycles, s.killed, len(s.failures), time.Since(start).Round(time.Second))
		}
	}
	time.Sleep(100 * time.Millisecond) // let the last killed processes exit
	reapOrphans()
	l := s.leaks(zombiesBefore)
	for _, f := range s.failures {
		fmt.Println("stress: FAIL " + f)
	}
	for _, d := range l.details {
		fmt.Println("stress: LEAK " + d)
	}
	if l.total() == 0 && len(s.failures) == 0 {
		os.RemoveAll(tmp)
	}
	fmt.Printf("stress: %d cycles, %d kills (create %d, start %d, delete %d, init %d), %d failures, leaks=%d (%s) in %v\n",
		*cycles, s.killed, s.killsBy["create"], s.killsBy["start"], s.killsBy["delete"], s.killsBy["init"],
		len(s.failures), l.total(), l, time.Since(start).Round(time.Second))
	if l.total() != 0 || len(s.failures) != 0 {
		os.Exit(1)
	}
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "stress: "+format+"\n", a...)
	os.Exit(2)
}

type stress struct {
	binary, rootfs, dir, root, work, tag string
	rnd                                  *rand.Rand
	verb                                 bool
	killed                               int
	killsBy                              map[string]int
	took                                 map[string]time.Duration
	failures                             []string
	ids                                  []string
}

// cmdTimeout bounds one runtime command: a hang is a failure, not a stuck run.
const cmdTimeout = 30 * time.Second

func (s *stress) args(a ...string) []string {
	return append([]string{"--root", s.root, "--work-dir", s.work}, a...)
}

// run runs one runtime command to its end. Output goes to a file, not a pipe: the container's
// init inherits create's stdio and would hold a pipe open for as long as it runs.
func (s *stress) run(a ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	f, err := os.CreateTemp(s.dir, "out-")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	cmd := exec.CommandContext(ctx, s.binary, s.args(a...)...)
	cmd.Stdout, cmd.Stderr = f, f
	t0 := time.Now()
	err = cmd.Run()
	if err == nil {
		// A moving average of how long each command takes: where runKilled aims.
		d := time.Since(t0)
		if old := s.took[a[0]]; old > 0 {
			d = (old*7 + d) / 8
		}
		s.took[a[0]] = d
	}
	out, _ := os.ReadFile(f.Name())
	if ctx.Err() != nil {
		return string(out), fmt.Errorf("%s: timed out after %v", a[0], cmdTimeout)
	}
	if err != nil {
		return string(out), fmt.Errorf("%s: %v: %s", a[0], err, bytes.TrimSpace(out))
	}
	return string(out), nil
}

// runKilled starts one runtime command and SIGKILLs it at a random point of its usual run time
// (measured over the run's unkilled commands). It returns whether the kill landed before the
// command ended.
func (s *stress) runKilled(a ...string) bool {
	max := s.took[a[0]]
	if max <= 0 {
		max = 50 * time.Millisecond
	}
	cmd := exec.Command(s.binary, s.args(a...)...) // stdio on /dev/null: no pipe to hold
	if err := cmd.Start(); err != nil {
		return false
	}
	time.Sleep(time.Duration(s.rnd.Int64N(int64(max))))
	landed := cmd.Process.Signal(syscall.SIGKILL) == nil
	_ = cmd.Wait()
	if st, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && !(st.Signaled() && st.Signal() == syscall.SIGKILL) {
		landed = false
	}
	return landed
}

// cycle is one container's life: create, start, delete; with kill, one of its steps or its init
// is killed and delete --force has to recover.
func (s *stress) cycle(i int, kill bool) error {
	id := fmt.Sprintf("%s-%d", s.tag, i)
	s.ids = append(s.ids, id)
	b := filepath.Join(s.dir, "bundles", id)
	sp := bundle.Default(s.rootfs)
	sp.Process.Args = []string{"sleep", "600"}
	sp.Linux.CgroupsPath = id
	if i%4 == 0 {
		// Every fourth container has a monitor and its guard, so their cleanup is tested too.
		// The ports isolator idles in a container with its own network namespace, so the
		// sandbox stays empty and delete must remove it (a disk report would keep it, by design).
		sp.Annotations = map[string]string{"io.contain.ports": "31000"}
	}
	if err := os.MkdirAll(b, 0o755); err != nil {
		return err
	}
	if err := bundle.Write(b, sp); err != nil {
		return err
	}
	defer os.RemoveAll(b)
	target := ""
	if kill {
		target = []string{"create", "create", "start", "delete", "init"}[s.rnd.IntN(5)]
	}
	var err error
	switch {
	case target == "create":
		s.note(id, target, s.runKilled("create", "--bundle", b, id))
	default:
		_, err = s.run("create", "--bundle", b, id)
	}
	if err == nil && target != "create" {
		switch target {
		case "start":
			s.note(id, target, s.runKilled("start", id))
		default:
			_, err = s.run("start", id)
		}
	}
	if err == nil && target == "init" {
		pid, perr := s.initPid(id)
		if perr != nil {
			return perr
		}
		s.note(id, target, syscall.Kill(pid, syscall.SIGKILL) == nil)
	}
	if err == nil && target == "delete" {
		s.note(id, target, s.runKilled("delete", "--force", id))
	}
	// Recovery: delete --force must succeed, or say the container does not exist when a killed
	// create never made its state dir.
	if out, derr := s.run("delete", "--force", id); derr != nil {
		if !(target != "" && strings.Contains(out, "does not exist")) {
			return errors.Join(err, fmt.Errorf("recover (target %q): %w", target, derr))
		}
	}
	if err != nil {
		return err
	}
	// Nothing of this container may be left now.
	if left := s.leftOf(id); len(left) > 0 {
		return fmt.Errorf("after delete --force (target %q): %s", target, strings.Join(left, "; "))
	}
	return nil
}

func (s *stress) note(id, target string, landed bool) {
	if !landed {
		return
	}
	s.killed++
	s.killsBy[target]++
	if s.verb {
		fmt.Printf("stress: killed %s of %s\n", target, id)
	}
}

func (s *stress) initPid(id string) (int, error) {
	out, err := s.run("state", id)
	if err != nil {
		return 0, err
	}
	i := strings.Index(out, `"pid": `)
	if i < 0 {
		return 0, fmt.Errorf("state of %s has no pid: %s", id, out)
	}
	rest := out[i+len(`"pid": `):]
	if j := strings.IndexAny(rest, ",\n"); j >= 0 {
		rest = rest[:j]
	}
	return strconv.Atoi(strings.TrimSpace(rest))
}

// leftOf lists what is left of one container: cgroup dirs, state dir, sandbox, processes.
func (s *stress) leftOf(id string) []string {
	var left []string
	for _, d := range cgroupDirs(func(name string) bool { return name == id }) {
		left = append(left, "cgroup "+d)
	}
	if _, err := os.Lstat(filepath.Join(s.root, id)); err == nil {
		left = append(left, "state dir")
	}
	if _, err := os.Lstat(filepath.Join(s.work, "containers", id)); err == nil {
		left = append(left, "sandbox")
	}
	for _, p := range processesNaming(id) {
		left = append(left, "process "+p)
	}
	return left
}

// leakCount is the final tally.
type leakCount struct {
	cgroups, mounts, stateDirs, sandboxes, monitors, zombies, processes int
	details                                                             []string
}

func (l leakCount) total() int {
	return l.cgroups + l.mounts + l.stateDirs + l.sandboxes + l.monitors + l.zombies + l.processes
}

func (l leakCount) String() string {
	return fmt.Sprintf("cgroups %d, mounts %d, state dirs %d, sandboxes %d, monitors %d, zombies %d, processes %d",
		l.cgroups, l.mounts, l.stateDirs, l.sandboxes, l.monitors, l.zombies, l.processes)
}

func (s *stress) leaks(zombiesBefore map[int]string) leakCount {
	var l leakCount
	add := func(n *int, what string) { *n++; l.details = append(l.details, what) }
	for _, d := range cgroupDirs(func(name string) bool { return strings.HasPrefix(name, s.tag+"-") }) {
		add(&l.cgroups, "cgroup "+d)
	}
	if b, err := os.ReadFile("/proc/self/mountinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, s.dir) || strings.Contains(line, s.tag+"-") {
				add(&l.mounts, "mount "+line)
			}
		}
	}
	if entries, err := os.ReadDir(s.root); err == nil {
		for _, e := range entries {
			add(&l.stateDirs, "state dir "+e.Name())
		}
	}
	if entries, err := os.ReadDir(filepath.Join(s.work, "containers")); err == nil {
		for _, e := range entries {
			add(&l.sandboxes, "sandbox "+e.Name())
		}
	}
	for _, p := range processesNaming(s.tag + "-") {
		if strings.Contains(p, " monitor ") {
			add(&l.monitors, "monitor "+p)
		} else {
			add(&l.processes, "process "+p)
		}
	}
	for pid, what := range zombies() {
		if _, old := zombiesBefore[pid]; !old {
			add(&l.zombies, "zombie "+what)
		}
	}
	return l
}

// cgroupDirs returns the dirs, in every hierarchy, below the runtime's own cgroup (this
// process's: relative cgroupsPaths go there on v1, beside it on v2) whose name matches.
func cgroupDirs(match func(string) bool) []string {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return nil
	}
	defer f.Close()
	seen := map[string]bool{}
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		var mnt string
		switch {
		case parts[1] == "" && parts[0] == "0":
			mnt = "/sys/fs/cgroup"
			if _, err := os.Stat("/sys/fs/cgroup/unified"); err == nil {
				mnt = "/sys/fs/cgroup/unified"
			}
		case strings.HasPrefix(parts[1], "name="):
			mnt = "/sys/fs/cgroup/" + strings.TrimPrefix(parts[1], "name=")
		default:
			mnt = "/sys/fs/cgroup/" + parts[1]
		}
		for _, base := range []string{filepath.Join(mnt, parts[2]), filepath.Dir(filepath.Join(mnt, parts[2]))} {
			if seen[base] {
				continue
			}
			seen[base] = true
			entries, err := os.ReadDir(base)
			if err != nil {
				continue
			}
			for _, e := range entries {
				if e.IsDir() && match(e.Name()) {
					out = append(out, filepath.Join(base, e.Name()))
				}
			}
		}
	}
	return out
}

// processesNaming lists live processes whose command line contains s, as "pid: cmdline".
func processesNaming(s string) []string {
	var out []string
	self := os.Getpid()
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || !bytes.Contains(b, []byte(s)) {
			continue
		}
		out = append(out, fmt.Sprintf("%d: %s", pid, strings.ReplaceAll(strings.TrimRight(string(b), "\x00"), "\x00", " ")))
	}
	return out
}

// reapOrphans reaps every exited child: between cycles no runtime command of ours is running,
// so what is there are the container inits (and their children) reparented to us.
func reapOrphans() {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}

// zombies returns the zombie processes of this run's tree: this process is a subreaper, so every
// orphan of a runtime or container process comes here, and a zombie is ours when its parent is
// this process or a process of the run (its command line names the run's dir). Zombies of other
// processes on the machine (whose parent may be a pid 1 that never reaps) are not counted.
func zombies() map[int]string {
	return zombiesOf(func(ppid int) bool {
		if ppid == os.Getpid() {
			return true
		}
		b, err := os.ReadFile("/proc/" + strconv.Itoa(ppid) + "/cmdline")
		return err == nil && bytes.Contains(b, []byte("contain-stress-"))
	})
}

func zombiesOf(ours func(ppid int) bool) map[int]string {
	out := map[int]string{}
	_ = filepath.WalkDir("/proc", func(p string, d fs.DirEntry, err error) error {
		if p == "/proc" {
			return nil
		}
		if err != nil || !d.IsDir() {
			return fs.SkipDir
		}
		pid, aerr := strconv.Atoi(d.Name())
		if aerr != nil {
			return fs.SkipDir
		}
		b, rerr := os.ReadFile(filepath.Join(p, "stat"))
		if rerr != nil {
			return fs.SkipDir
		}
		st := string(b)
		open, close := strings.IndexByte(st, '('), strings.LastIndexByte(st, ')')
		if open < 0 || close < open {
			return fs.SkipDir
		}
		comm := st[open+1 : close]
		fields := strings.Fields(st[close+1:])
		if len(fields) < 2 || fields[0] != "Z" {
			return fs.SkipDir
		}
		ppid, _ := strconv.Atoi(fields[1])
		if ours(ppid) {
			out[pid] = fmt.Sprintf("%d (%s, parent %d)", pid, comm, ppid)
		}
		return fs.SkipDir
	})
	return out
}
