package libcontain

import (
	"context"
	"time"

	"github.com/contain-runtime/contain/libcontain/cgroups"
)

// Event is one line of `contain events`, in runc's shape: {"type","id","data"}.
type Event struct {
	Type string `json:"type"` // "stats", "oom"
	ID   string `json:"id"`
	Data any    `json:"data,omitempty"`
}

// Stats reads the container's cgroup statistics once.
func (c *Container) Stats() (*cgroups.Stats, error) {
	var s *cgroups.Stats
	err := c.withCgroup("stats", "", func(m cgroups.Manager) (err error) {
		s, err = m.Stats()
		return err
	})
	return s, err
}

// Events sends a stats event every interval and an oom event whenever the kernel OOM-kills a
// process of the container, until ctx ends or the container stops. OOM kills are noticed by
// polling the kill counter (memory.oom_control / memory.events) a few times a second, which
// works the same on both cgroup versions.
func (c *Container) Events(ctx context.Context, interval time.Duration, emit func(Event) error) error {
	var m cgroups.Manager
	if err := c.withCgroup("events", "", func(mm cgroups.Manager) error { m = mm; return nil }); err != nil {
		return err
	}
	ooms, _ := m.OOMKillCount()
	statsTick := time.NewTicker(interval)
	defer statsTick.Stop()
	oomTick := time.NewTicker(200 * time.Millisecond)
	defer oomTick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-oomTick.C:
			if !c.alive() {
				return nil
			}
			n, err := m.OOMKillCount()
			if err == nil && n > ooms {
				ooms = n
				if err := emit(Event{Type: "oom", ID: c.ID}); err != nil {
					return err
				}
			}
		case <-statsTick.C:
			s, err := m.Stats()
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

func (c *Container) alive() bool {
	d, err := c.rt.openDir(c.ID, false)
	if err != nil {
		return false
	}
	defer d.Close()
	st, err := d.Load()
	return err == nil && deriveStatus(d, st) != Stopped
}
