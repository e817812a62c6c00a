package libcontain

import (
	"log/slog"
	"os"
)

// pendingSeal is sealedSelf run ahead in a goroutine, so that the seal (an overlay mount, or the
// memfd copy) overlaps the caller's other preparations: create's cgroup and files, exec's state
// and config loads. The launcher takes the handle (launch); a caller that fails before the launch
// discards it.
type pendingSeal struct {
	done chan struct{}
	f    *os.File
	err  error
}

func sealAhead(log *slog.Logger, dummyDir string, preserved int) *pendingSeal {
	p := &pendingSeal{done: make(chan struct{})}
	go func() {
		p.f, p.err = sealedSelf(log, dummyDir, preserved)
		close(p.done)
	}()
	return p
}

// take waits for the seal and hands its handle over: the caller closes it.
func (p *pendingSeal) take() (*os.File, error) {
	<-p.done
	f := p.f
	p.f = nil
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
