package libcontain

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/isolators/volumes"
	"github.com/contain-runtime/contain/libcontain/proc"
	"github.com/contain-runtime/contain/libcontain/sandbox"
	"github.com/contain-runtime/contain/libcontain/timerslack"
	"github.com/contain-runtime/contain/spec"
	"github.com/contain-runtime/contain/state"
)

// Keys of state.Extra that the isolators use.
const (
	extraMonitorPid   = "monitorPid"
	extraMonitorStart = "monitorStart"
	extraOverlayUpper = "overlayUpper"
	// extraCgroupCreated lists, one per line, the cgroup dirs create made (the container's own and
	// any parents that did not exist).
	extraCgroupCreated = "cgroupCreated"
	// extraCgroupGroup: the cgroup's parent is a shared group (see CreateOpts.CgroupGroup).
	extraCgroupGroup = "cgroupGroup"
	// MonitorReportFile, in the sandbox, holds the monitor's latest measurement as JSON.
	MonitorReportFile = "monitor.json"
)

// planSandbox picks the container's sandbox run dir (quick mode brings its own) and notes it in
// the record; prepareSandbox makes it.
func (b *builder) planSandbox() error {
	if b.o.Sandbox != nil {
		return nil
	}
	sb, err := sandbox.Plan(b.rt.WorkDir, b.o.ID, time.Now())
	if err != nil {
		return err
	}
	// Recorded before it exists (saved with the cgroup's plan): a kill after the mkdir must not
	// leave it (halfcreate.go).
	b.note(func(r *state.CreateRecord) { r.Sandbox = sb.Dir })
	b.plannedSandbox = sb
	return nil
}

// prepareSandbox gives the container its sandbox, the volumes the annotations ask for, and, with
// io.contain.stdio=sandbox, files for its stdout and stderr.
func (b *builder) prepareSandbox() error {
	sb := b.o.Sandbox
	if sb == nil {
		sb = b.plannedSandbox
		if err := sb.Make(); err != nil {
			return err
		}
		b.madeSandbox = true
	}
	b.sandbox = sb
	mounts, err := volumes.Prepare(b.iso.Volumes, sb.Dir, b.rootfs)
	if err != nil {
		return fmt.Errorf("prepare volumes: %w", err)
	}
	b.spec.Mounts = append(b.spec.Mounts, mounts...)
	if b.iso.Stdio == spec.StdioSandbox {
		for _, f := range []struct {
			name string
			dst  **os.File
		}{{"stdout", &b.o.Stdout}, {"stderr", &b.o.Stderr}} {
			out, err := os.OpenFile(filepath.Join(sb.Dir, f.name), os.O_WRONLY|os.O_CREATE|os.O_APPEND|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0o640)
			if err != nil {
				return fmt.Errorf("open sandbox %s: %w", f.name, err)
			}
			b.closeAfter = append(b.closeAfter, out)
			*f.dst = out
		}
	}
	return nil
}

// startMonitor starts `contain monitor ID` for the disk and ports isolators. It runs detached:
// its own session, stdio on /dev/null (it must not hold the caller's pipes open), and it ends
// by itself when the container stops; delete stops it too.
func (b *builder) startMonitor() error {
	if !b.iso.Monitored() {
		return nil
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own binary for the monitor: %w", err)
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer null.Close()
	attr := &os.ProcAttr{
		Files: []*os.File{null, null, null},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	}
	// The monitor and its guard (monitorguard.go) each wait for the state this create saves
	// (they take the container's lock, held until then) and watch each other from then on.
	start := func(what string, args ...string) (*os.Process, uint64, error) {
		full := append([]string{"contain", "--root", b.rt.Store.Root, "--work-dir", b.rt.WorkDir, "monitor"}, args...)
		var p *os.Process
		err := timerslack.StartWith(timerslack.Caller(), func() (err error) {
			p, err = os.StartProcess(self, full, attr)
			return err
		})
		if err != nil {
			return nil, 0, fmt.Errorf("start %s: %w", what, err)
		}
		ps, err := proc.ReadStat(p.Pid)
		if err != nil {
			_ = p.Kill()
			_, _ = p.Wait()
			return nil, 0, fmt.Errorf("start %s: %w", what, err)
		}
		return p, ps.StartTime, nil
	}
	p, pStart, err := start("monitor", b.o.ID)
	if err != nil {
		return err
	}
	g, gStart, err := start("monitor guard", "--guard", b.o.ID)
	if err != nil {
		_ = p.Kill()
		_, _ = p.Wait()
		return err
	}
	b.monitor = p
	b.st.Extra[extraMonitorPid] = strconv.Itoa(p.Pid)
	b.st.Extra[extraMonitorStart] = strconv.FormatUint(pStart, 10)
	b.st.Extra[extraGuardPid] = strconv.Itoa(g.Pid)
	b.st.Extra[extraGuardStart] = strconv.FormatUint(gStart, 10)
	// The guard is not kept: a create that fails after this removes the state dir, and a guard
	// that finds no state ends by itself.
	_ = g.Release()
	return p.Release()
}

// stopMonitor ends the container's monitor and its guard, each if it still runs and is still
// the one create started. The guard goes first: the container is stopped by now, so neither
// has anything to enforce.
func stopMonitor(st *state.State) {
	mon, guard := watchedRefs(st)
	for _, r := range []procRef{guard, mon} {
		if fd, ok := r.pidfd(); ok {
			// Wait (bounded) until it has exited: whoever deleted the container must not find
			// its monitor still running after delete returned.
			if unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0) == nil {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				waitPidfds(ctx, fd)
				cancel()
			}
			unix.Close(fd)
		}
	}
}

// stateAnnotations are the spec's annotations plus the sandbox path, as `state` reports them.
func stateAnnotations(s *specs.Spec, sb *sandbox.Sandbox) map[string]string {
	a := make(map[string]string, len(s.Annotations)+1)
	for k, v := range s.Annotations {
		a[k] = v
	}
	if sb != nil {
		a[spec.AnnotationSandbox] = sb.Dir
	}
	return a
}

func removeSandbox(workDir string, sb *sandbox.Sandbox) { _ = sb.Remove(workDir) }
