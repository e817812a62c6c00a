package libcontain

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/contain-runtime/contain/libcontain/cgroups"
	"github.com/contain-runtime/contain/libcontain/cgroups/stats"
	"github.com/contain-runtime/contain/spec"
)

// Event is one line of `contain events`, in runc's shape: {"type","id","data"}.
type Event struct {
	Type string `json:"type"` // "stats", "oom", "limitation"
	ID   string `json:"id"`
	Data any    `json:"data,omitempty"`
}

// Stats is a stats event's data: runc's cgroup statistics, plus the disk isolator's latest
// measurement when the container has one.
type Stats struct {
	*stats.Stats
	Disk *DiskReport `json:"disk,omitempty"`
}

// Limitation is a limitation event's data.
type Limitation struct {
	Kind    string `json:"kind"`
	Message string `json:"message,omitempty"`
}

// Stats reads the container's statistics once.
func (c *Container) Stats() (*Stats, error) {
	var s *stats.Stats
	err := c.withCgroup("stats", "", func(m cgroups.Manager) (err error) {
		s, err = m.Stats()
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &Stats{Stats: s}
	if in, err := c.State(); err == nil {
		if sb := in.Annotations[spec.AnnotationSandbox]; sb != "" {
			out.Disk = readReport(sb)
		}
	}
	return out, nil
}

// limitation returns the recorded limitation, if any.
func (c *Container) limitation() *Limitation {
	in, err := c.State()
	if err != nil || in.Annotations[spec.AnnotationLimitation] == "" {
		return nil
	}
	return &Limitation{Kind: in.Annotations[spec.AnnotationLimitation], Message: in.Annotations[spec.AnnotationLimitationMessage]}
}

// Events sends a stats event every interval and an oom event whenever the container's memory
// cgroup records an OOM, until ctx ends or the container stops. On cgroup v1 the kernel's OOM
// notification (an eventfd, as runc uses) reports every OOM, also one that kills nothing because
// the OOM killer is disabled; elsewhere the OOM kill counter (memory.events) is polled a few times
// a second.
func (c *Container) Events(ctx context.Context, interval time.Duration, emit func(Event) error) error {
	var m cgroups.Manager
	if err := c.withCgroup("events", "", func(mm cgroups.Manager) error { m = mm; return nil }); err != nil {
		return err
	}
	notified := watchOOM(ctx, m)
	ooms, _ := m.OOMKillCount()
	limited := false
	statsTick := time.NewTicker(interval)
	defer statsTick.Stop()
	oomTick := time.NewTicker(200 * time.Millisecond)
	defer oomTick.Stop()
	oom := func() error { return emit(Event{Type: "oom", ID: c.ID}) }
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-notified:
			if err := oom(); err != nil {
				return err
			}
		case <-oomTick.C:
			// Liveness first: everything read after it covers what the container did, so the
			// OOM kill that ended it is still reported.
			alive := c.alive()
			if notified == nil {
				n, err := m.OOMKillCount()
				if err == nil && n > ooms {
					ooms = n
					if err := oom(); err != nil {
						return err
					}
				}
			}
			if l := c.limitation(); l != nil && !limited {
				limited = true
				if err := emit(Event{Type: "limitation", ID: c.ID, Data: l}); err != nil {
					return err
				}
			}
			if !alive {
				// A notification may still be on its way from the OOM that ended the container.
				select {
				case <-notified:
					return oom()
				case <-time.After(50 * time.Millisecond):
				}
				return nil
			}
		case <-statsTick.C:
			s, err := c.Stats()
			if err != nil {
				if !c.alive() {
					return nil
				}
				return err
			}
			if err := emit(Event{Type: "stats", ID: c.ID, Data: s}); err != nil {
				return err
			}
		}
	}
}

// oomNotifier is a cgroup driver with the kernel's OOM notification (cgroup v1's).
type oomNotifier interface {
	NotifyOOM() (*os.File, error)
}

// watchOOM returns a channel that gets a value for each OOM the kernel notifies, until ctx ends;
// nil when the driver has no notification (the caller polls then).
func watchOOM(ctx context.Context, m cgroups.Manager) <-chan struct{} {
	n, ok := m.(oomNotifier)
	if !ok {
		return nil
	}
	ev, err := n.NotifyOOM()
	if err != nil {
		return nil
	}
	ch := make(chan struct{}, 16)
	go func() {
		<-ctx.Done()
		ev.Close()
	}()
	go func() {
		defer ev.Close()
		buf := make([]byte, 8)
		for {
			if _, err := ev.Read(buf); err != nil {
				return
			}
			// The kernel signals the eventfd once more when the cgroup is removed: that is the
			// container going away, not an OOM.
			if dir, ok := m.Paths()["memory"]; ok {
				if _, err := os.Lstat(filepath.Join(dir, "cgroup.event_control")); err != nil {
					return
				}
			}
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}()
	return ch
}

func (c *Container) alive() bool {
	d, err := c.rt.openDir(c.ID, false)
	if err != nil {
		return false
	}
	defer d.Close()
	st, err := d.Load()
	return err == nil && statusOf(d, st) != Stopped
}
