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
	p := &pendingSeal{done: make(chan struct{}), log: log, dummyDir: dummyDir, preserved: preserved}
	go func() {
		defer close(p.done)
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

// take waits for the seal and hands its handle over: the caller closes it. With needSelf, the
// handle is contain's own binary, sealed now if the small init binary was sealed ahead.
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
