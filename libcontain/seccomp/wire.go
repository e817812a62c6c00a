package seccomp

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// A Filter travels from the runtime, which compiles it (libseccomp is linked there only), to the
// container's init, which loads it, as JSON: the program's instructions as bytes (each 8 bytes in
// the kernel's struct sock_filter layout, native byte order), the seccomp(2) flags and whether a
// listener comes out. init checks what it is sent before it loads anything.
type wireFilter struct {
	Prog   []byte  `json:"prog"`
	Flags  uintptr `json:"flags,omitempty"`
	Notify bool    `json:"notify,omitempty"`
}

// maxInstructions is the kernel's limit on a classic BPF program (BPF_MAXINSNS).
const maxInstructions = 4096

// flagsSent are the seccomp(2) flags a profile may ask for (Build's flagBits); Load adds the
// TSYNC ones itself.
const flagsSent = unix.SECCOMP_FILTER_FLAG_LOG | unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW |
	unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV | unix.SECCOMP_FILTER_FLAG_NEW_LISTENER

// MarshalJSON encodes the filter for init's config.
func (f *Filter) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 8*len(f.prog))
	for _, ins := range f.prog {
		b = binary.NativeEndian.AppendUint16(b, ins.Code)
		b = append(b, ins.Jt, ins.Jf)
		b = binary.NativeEndian.AppendUint32(b, ins.K)
	}
	return json.Marshal(wireFilter{Prog: b, Flags: f.flags, Notify: f.notify})
}

// UnmarshalJSON decodes a filter sent by the runtime, refusing one the kernel could not take
// or whose listener flag and notify mark disagree.
func (f *Filter) UnmarshalJSON(data []byte) error {
	var w wireFilter
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	switch n := len(w.Prog); {
	case n == 0 || n%8 != 0:
		return fmt.Errorf("seccomp filter: %d bytes of program, want a positive multiple of 8", n)
	case n/8 > maxInstructions:
		return fmt.Errorf("seccomp filter: %d instructions, the kernel takes at most %d", n/8, maxInstructions)
	}
	if w.Flags&^flagsSent != 0 {
		return fmt.Errorf("seccomp filter: unknown flags %#x", w.Flags&^flagsSent)
	}
	if w.Notify != (w.Flags&unix.SECCOMP_FILTER_FLAG_NEW_LISTENER != 0) {
		return errors.New("seccomp filter: the listener flag and the notify mark disagree")
	}
	prog := make([]unix.SockFilter, len(w.Prog)/8)
	for i := range prog {
		b := w.Prog[8*i:]
		prog[i] = unix.SockFilter{Code: binary.NativeEndian.Uint16(b), Jt: b[2], Jf: b[3], K: binary.NativeEndian.Uint32(b[4:])}
	}
	*f = Filter{prog: prog, flags: w.Flags, notify: w.Notify}
	return nil
}
