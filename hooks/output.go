package hooks

import (
	"strings"
	"sync"
)

// outputTail keeps the last max bytes written to it: enough of a failing hook's output to say
// why it failed, without letting a hook that floods stdout grow the runtime's memory.
type outputTail struct {
	mu        sync.Mutex
	max       int
	buf       []byte
	truncated bool
}

func newOutputTail(max int) *outputTail { return &outputTail{max: max} }

func (o *outputTail) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := len(p)
	if len(p) >= o.max {
		o.truncated = o.truncated || len(o.buf) > 0 || len(p) > o.max
		o.buf = append(o.buf[:0], p[len(p)-o.max:]...)
		return n, nil
	}
	if over := len(o.buf) + len(p) - o.max; over > 0 {
		o.truncated = true
		o.buf = append(o.buf[:0], o.buf[over:]...)
	}
	o.buf = append(o.buf, p...)
	return n, nil
}

// String is the kept output with surrounding whitespace trimmed, marked when the start was cut.
func (o *outputTail) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := strings.TrimSpace(strings.ToValidUTF8(string(o.buf), "\uFFFD"))
	if o.truncated && s != "" {
		return "[output truncated] ..." + s
	}
	return s
}
