// Package monitor is the loop that runs the disk and ports isolators over a created container:
// every interval it measures, reports the measurement (for `contain events --stats`) and, on a
// violation, reports a Limitation for the caller to kill the container and record why. It
// manages no processes: the caller runs it (in contain's hidden monitor process), kills the
// container and stops the loop.
package monitor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/contain-runtime/contain/libcontain/isolators/disk"
	"github.com/contain-runtime/contain/libcontain/isolators/ports"
	"github.com/contain-runtime/contain/spec"
)

// Config says what to watch.
type Config struct {
	ID string // the container, for messages

	Disk      *spec.DiskIsolator // nil: no disk isolator
	DiskPaths []string           // what the limit covers: the sandbox and the writable layer

	Ports    *spec.PortsIsolator // nil: no ports isolator
	ProcRoot string              // procfs, "" for /proc

	// Pids lists the container's processes (from its cgroup). Needed by the ports isolator.
	Pids func() ([]int, error)
	// Alive reports whether the container still runs; nil means until ctx ends. Checked
	// before every measurement, so the loop ends at most one interval after the container.
	Alive func() bool

	// Tick starts a ticker of interval d and returns its channel and stop function; nil uses
	// time.NewTicker. Tests drive the loop through it.
	Tick func(d time.Duration) (<-chan time.Time, func())
	// Now stamps reports; nil uses time.Now.
	Now func() time.Time
}

// The kinds of Limitation, also the values of the io.contain.limitation annotation.
const (
	KindDisk  = "disk"
	KindPorts = "ports"
)

// Limitation is why the monitor wants a container ended. It is an error, so Run can return it.
type Limitation struct {
	Kind    string // KindDisk or KindPorts
	Message string // one line for people: what was measured against what
	// Usage and Limit are bytes (allocated, as du -B1) for KindDisk.
	Usage, Limit uint64
	// Ports are the listening ports outside the allocation, sorted, for KindPorts.
	Ports []uint16
}

func (l *Limitation) Error() string { return l.Message }

// Report is the latest measurement, for `contain events --stats`.
type Report struct {
	Time time.Time
	// Disk is the latest disk usage; nil without a disk isolator.
	Disk *disk.Usage
	// DiskLimit is the limit in bytes; Exceeded says Disk.Allocated is over it. With
	// enforcement off that is all that happens: the report says so, the container runs on.
	DiskLimit uint64
	Exceeded  bool
	// Listening are the ports the container listens on (nil without a ports isolator).
	Listening []uint16
	// Err is a measurement that failed this time (the loop goes on and retries next
	// interval). A disk walk error still comes with the usage it could count.
	Err error
}

// Run measures at once and then every interval (each isolator at its own) until ctx ends or
// Alive reports the container gone, calling onReport after every measurement. On a violation
// — allocated disk usage over the limit with Enforce set, or a listening port in the filter
// but not allocated — it calls onLimit once and returns that *Limitation as its error (find it
// with errors.As). It returns nil when ctx ends or the container is gone, and at once when
// Config has no isolator to run. onReport and onLimit may be nil.
func Run(ctx context.Context, c Config, onReport func(Report), onLimit func(Limitation)) error {
	if c.Disk == nil && c.Ports == nil {
		return nil
	}
	if c.Disk != nil && c.Disk.Interval <= 0 {
		return errors.New("monitor: disk interval must be positive")
	}
	if c.Ports != nil && (c.Ports.Interval <= 0 || c.Pids == nil) {
		return errors.New("monitor: ports isolator needs a positive interval and a way to list the container's pids")
	}
	m := &monitor{c: c, onReport: onReport}
	if m.c.Tick == nil {
		m.c.Tick = func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		}
	}
	if m.c.Now == nil {
		m.c.Now = time.Now
	}
	if m.c.ProcRoot == "" {
		m.c.ProcRoot = "/proc"
	}

	// A nil channel never fires, so an isolator that is off simply never ticks.
	var diskC, portsC <-chan time.Time
	if c.Disk != nil {
		ch, stop := m.c.Tick(c.Disk.Interval)
		defer stop()
		diskC = ch
	}
	if c.Ports != nil {
		ch, stop := m.c.Tick(c.Ports.Interval)
		defer stop()
		portsC = ch
	}

	// step measures once; stop says the loop is over, with the limitation if that is why.
	step := func(measure func() *Limitation) (stop bool, err error) {
		if c.Alive != nil && !c.Alive() {
			return true, nil
		}
		l := measure()
		if l == nil {
			return false, nil
		}
		if onLimit != nil {
			onLimit(*l)
		}
		return true, l
	}

	var first []func() *Limitation
	if c.Disk != nil {
		first = append(first, m.disk)
	}
	if c.Ports != nil {
		first = append(first, m.ports)
	}
	for _, measure := range first {
		if ctx.Err() != nil {
			return nil
		}
		if stop, err := step(measure); stop {
			return err
		}
	}
	for {
		var stop bool
		var err error
		select {
		case <-ctx.Done():
			return nil
		case <-diskC:
			stop, err = step(m.disk)
		case <-portsC:
			stop, err = step(m.ports)
		}
		if stop {
			return err
		}
	}
}

// monitor holds the latest measurements so each report carries both isolators' numbers.
type monitor struct {
	c        Config
	onReport func(Report)
	last     Report
}

func (m *monitor) report(err error) {
	m.last.Time = m.c.Now()
	m.last.Err = err
	if m.onReport != nil {
		r := m.last
		if r.Disk != nil {
			u := *r.Disk
			r.Disk = &u
		}
		r.Listening = append([]uint16(nil), r.Listening...)
		m.onReport(r)
	}
}

func (m *monitor) disk() *Limitation {
	d := m.c.Disk
	u, err := disk.Measure(m.c.DiskPaths...)
	if err != nil {
		err = fmt.Errorf("measure disk usage of %s: %w", m.c.ID, err)
	}
	limit := uint64(d.Limit)
	m.last.Disk, m.last.DiskLimit = &u, limit
	// A walk that failed part-way still counted a lower bound: if even that is over the
	// limit, the container is over it.
	m.last.Exceeded = u.Allocated > limit
	m.report(err)
	if !m.last.Exceeded || !d.Enforce {
		return nil
	}
	return &Limitation{
		Kind:    KindDisk,
		Message: fmt.Sprintf("disk usage %d bytes exceeds the limit of %d bytes", u.Allocated, limit),
		Usage:   u.Allocated,
		Limit:   limit,
	}
}

func (m *monitor) ports() *Limitation {
	p := m.c.Ports
	pids, err := m.c.Pids()
	if err != nil {
		m.report(fmt.Errorf("list processes of %s: %w", m.c.ID, err))
		return nil
	}
	listening, err := ports.Listening(pids, m.c.ProcRoot)
	if err != nil {
		m.report(fmt.Errorf("find listening ports of %s: %w", m.c.ID, err))
		return nil
	}
	m.last.Listening = listening
	m.report(nil)
	bad := ports.Violations(listening, p.Allocated, p.Filter)
	if len(bad) == 0 {
		return nil
	}
	list := make([]string, len(bad))
	for i, b := range bad {
		list[i] = fmt.Sprint(b)
	}
	allocated := p.Allocated.String()
	if allocated == "" {
		allocated = "none"
	}
	return &Limitation{
		Kind:    KindPorts,
		Message: fmt.Sprintf("listening on unallocated port(s) %s (allocated: %s)", strings.Join(list, ","), allocated),
		Ports:   bad,
	}
}
