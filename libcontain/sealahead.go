package libcontain

import (
	"log/slog"
	"os"
)

// pendingSeal is the sealed binary to start the child from (sealedInit or sealedSelf), made
// ahead in a goroutine, so that the seal (an overlay mount, or the memfd copy) overlaps the
// caller's other preparations: create's cgroup and files, exec's state and config loads. The
// launcher takes the handle (launch); a caller that fails before the launch discards it.
type pendingSeal struct {
	done chan struct{}
	f    *os.File
	// small: f is the small init binary, which cannot do all contain can (see runtimeBinary).
	small bool
	err   error
	// what a reseal of contain itself needs (self)
	log       *slog.Logger
	dummyDir  string
	preserved int
}

// sealAhead seals the small init binary installed under initDir, or contain itself when
// initDir is "" or the small one cannot be had.
func sealAhead(log *slog.Logger, dummyDir string, preserved int, initDir string) *pendingSeal {
	done := make(chan struct{})
	p := &pendingSeal{done: done, log: log, dummyDir: dummyDir, preserved: preserved}
	go func() {
		defer close(done)
		if initDir != "" {
			if p.f = sealedInit(log, initDir, dummyDir, preserved); p.f != nil {
				p.small = true
				return
			}
		}
		p.f, p.err = sealedSelf(log, dummyDir, preserved)
	}()
	return p
}

// useSelf has contain itself sealed in the background, in place of the small init binary sealed
// ahead: create calls it as soon as its plan shows the small one cannot do (needsContain), so
// that the second seal overlaps create's other preparations instead of delaying the launch.
// It must not be called after take or discard.
func (p *pendingSeal) useSelf() {
	first, done := p.done, make(chan struct{})
	p.done = done
	go func() {
		defer close(done)
		<-first
		if p.err == nil && p.small {
			p.f.Close()
			p.f, p.err = sealedSelf(p.log, p.dummyDir, p.preserved)
			p.small = false
		}
	}()
}

// take waits for the seal and hands its handle over: the caller closes it. With needSelf, the
// handle is contain's own binary, sealed now if the small init binary was sealed ahead (and
// useSelf was not called).
func (p *pendingSeal) take(needSelf bool) (*os.File, error) {
	<-p.done
	f := p.f
	p.f = nil
	if p.err == nil && p.small && needSelf {
		f.Close()
		p.log.Debug("launch: the child needs contain itself, not the small init binary")
		return sealedSelf(p.log, p.dummyDir, p.preserved)
	}
	return f, p.err
}

// discard waits for the seal and closes its handle unless it was taken.
func (p *pendingSeal) discard() {
	<-p.done
	if p.f != nil {
		p.f.Close()
		p.f = nil
	}
}
