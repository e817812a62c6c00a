package libcontain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/isolators/monitor"
	"github.com/contain-runtime/contain/libcontain/namespaces"
	"github.com/contain-runtime/contain/spec"
)

// Monitor runs the disk and ports isolators of a container until it stops (the hidden
// `contain monitor` command, started by create). On a limitation it kills the container and
// records why in its state.
func (c *Container) Monitor(ctx context.Context) error {
	d, err := c.rt.openDir(c.ID, false)
	if err != nil {
		return err
	}
	st, err := loadState(d)
	if err != nil {
		d.Close()
		return err
	}
	cfg, err := d.LoadConfig()
	d.Close()
	if err != nil {
		return fmt.Errorf("load config: %w", err)
	}
	iso, err := spec.ParseAnnotations(cfg.Annotations)
	if err != nil {
		return err
	}
	m, err := loadCgroup(st)
	if err != nil {
		return fmt.Errorf("load cgroup: %w", err)
	}
	pids := func() ([]int, error) { return []int{st.Pid}, nil } // no cgroup (rootless): init alone
	if m != nil {
		pids = m.Pids
	}
	sbDir := st.Annotations[spec.AnnotationSandbox]
	mc := monitor.Config{ID: c.ID, Disk: iso.Disk, Ports: iso.Ports, Pids: pids, Alive: c.alive}
	// What the disk limit covers: the sandbox and the container's copy-on-write layer.
	mc.DiskPaths = []string{sbDir}
	if up := st.Extra[extraOverlayUpper]; up != "" {
		mc.DiskPaths = append(mc.DiskPaths, up)
	}
	if cfg.Linux != nil && namespaces.IsNew(cfg.Linux.Namespaces, specs.NetworkNamespace) {
		// As Mesos ignores CNI tasks: a container with its own network namespace cannot take
		// the host's ports, so there is nothing to reconcile.
		mc.Ports = nil
	}
	onReport := func(r monitor.Report) { writeReport(sbDir, r) }
	onLimit := func(l monitor.Limitation) {
		// Record, then kill: whoever sees the container stopped (state, events, run) must
		// find the reason already there, or it reports a plain exit and never looks again.
		if err := c.recordLimitation(l.Kind, l.Message); err != nil {
			c.rt.Log.Error("record limitation", "err", err)
		}
		_ = m.KillAll(unix.SIGKILL)
	}
	// End with the container, not an interval later: init's pidfd polls readable when it exits.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Fail closed with the guard: if it dies, the container goes too (monitorguard.go).
	go c.watchGuard(ctx, st, cancel)
	pidfd, ok := procRef{pid: st.Pid, start: st.InitStartTime}.pidfd()
	if !ok {
		return nil // init is gone: so is the container
	}
	defer unix.Close(pidfd)
	go func() {
		waitPidfds(ctx, pidfd)
		cancel()
	}()
	if mc.Disk == nil && mc.Ports == nil {
		// Nothing to measure, but the guard reads an early exit as a death: idle till the end.
		<-ctx.Done()
		return nil
	}
	err = monitor.Run(ctx, mc, onReport, onLimit)
	var lim *monitor.Limitation
	if errors.As(err, &lim) {
		return nil
	}
	return err
}

// recordLimitation writes why the container was ended into its state, where `state`, `events`
// and `run` find it.
func (c *Container) recordLimitation(kind, msg string) error {
	d, st, err := c.open(true)
	if err != nil {
		return err
	}
	defer d.Close()
	if st.Annotations == nil {
		st.Annotations = map[string]string{}
	}
	if st.Annotations[spec.AnnotationLimitation] != "" {
		return nil // the first reason stands
	}
	st.Annotations[spec.AnnotationLimitation] = kind
	st.Annotations[spec.AnnotationLimitationMessage] = msg
	return d.Save(st)
}

// DiskReport is the monitor's latest disk measurement, as events --stats shows it.
type DiskReport struct {
	Apparent  uint64   `json:"apparent"`
	Allocated uint64   `json:"allocated"`
	Limit     uint64   `json:"limit,omitempty"`
	Exceeded  bool     `json:"exceeded,omitempty"`
	Listening []uint16 `json:"listening,omitempty"`
}

func writeReport(sbDir string, r monitor.Report) {
	if sbDir == "" {
		return
	}
	out := DiskReport{Limit: r.DiskLimit, Exceeded: r.Exceeded, Listening: r.Listening}
	if r.Disk != nil {
		out.Apparent, out.Allocated = r.Disk.Apparent, r.Disk.Allocated
	}
	b, err := json.Marshal(out)
	if err != nil {
		return
	}
	tmp := filepath.Join(sbDir, "."+MonitorReportFile+".tmp")
	if os.WriteFile(tmp, b, 0o644) == nil {
		_ = os.Rename(tmp, filepath.Join(sbDir, MonitorReportFile))
	}
}

func readReport(sbDir string) *DiskReport {
	// The sandbox is shared with the container's volumes: read what is there as untrusted.
	b, err := spec.ReadInput(filepath.Join(sbDir, MonitorReportFile), "monitor report", 1<<20)
	if err != nil {
		return nil
	}
	var r DiskReport
	if json.Unmarshal(b, &r) != nil {
		return nil
	}
	return &r
}
