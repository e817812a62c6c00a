package nsenter

// #cgo CFLAGS: -std=gnu11 -Wall -Wextra -O2
// #include "nsenter.h"
import "C"

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"
)

// The wire format lives in nsenter.h; these come from there so the two sides cannot drift.
const (
	envName   = C.NSENTER_ENV
	magic     = C.NSENTER_MAGIC
	maxJoins  = C.NSENTER_MAX_JOINS
	replySize = C.sizeof_struct_nsenter_reply
	opSize    = len(C.struct_nsenter_reply{}.op)
)

// join is one setns(fd, flags) the child makes (struct nsenter_join).
type join struct {
	fd    int32
	flags uint32
}

// reply is the child's answer (struct nsenter_reply).
type reply struct {
	pid int32
	err int32
	op  string
}

// encodeRequest lays out a request message as nsenter_parse reads it.
func encodeRequest(unshare uint32, joins []join) ([]byte, error) {
	if len(joins) > maxJoins {
		return nil, fmt.Errorf("nsenter request: %d joins, at most %d", len(joins), maxJoins)
	}
	b := binary.NativeEndian.AppendUint32(nil, magic)
	b = binary.NativeEndian.AppendUint32(b, unshare)
	b = binary.NativeEndian.AppendUint32(b, uint32(len(joins)))
	b = binary.NativeEndian.AppendUint32(b, 0)
	for _, j := range joins {
		b = binary.NativeEndian.AppendUint32(b, uint32(j.fd))
		b = binary.NativeEndian.AppendUint32(b, j.flags)
	}
	return b, nil
}

// decodeReply checks and decodes the child's reply.
func decodeReply(b []byte) (reply, error) {
	if len(b) != replySize {
		return reply{}, fmt.Errorf("nsenter reply: %d bytes, want %d", len(b), replySize)
	}
	if binary.NativeEndian.Uint32(b) != magic {
		return reply{}, errors.New("nsenter reply: bad magic")
	}
	r := reply{
		pid: int32(binary.NativeEndian.Uint32(b[4:])),
		err: int32(binary.NativeEndian.Uint32(b[8:])),
	}
	op := b[12 : 12+opSize]
	if i := bytes.IndexByte(op, 0); i >= 0 {
		op = op[:i]
	} else {
		return reply{}, errors.New("nsenter reply: unterminated op")
	}
	r.op = string(op)
	switch {
	case r.err < 0 || r.pid < 0:
		return reply{}, fmt.Errorf("nsenter reply: negative pid %d or errno %d", r.pid, r.err)
	case r.err != 0 && (r.pid != 0 || r.op == ""):
		return reply{}, errors.New("nsenter reply: failure without a step, or with a pid")
	case r.err == 0 && r.op != "":
		return reply{}, errors.New("nsenter reply: success with a failed step")
	}
	return r, nil
}

// parseRequest runs the constructor's own parser, nsenter_parse, so tests and fuzzing exercise
// the C that reads untrusted bytes, not a Go copy of it.
func parseRequest(b []byte) (unshare uint32, joins []join, ok bool) {
	var req C.struct_nsenter_request
	var p *C.uchar
	if len(b) > 0 {
		p = (*C.uchar)(unsafe.Pointer(&b[0]))
	}
	if C.nsenter_parse(p, C.size_t(len(b)), &req) != 0 {
		return 0, nil, false
	}
	for i := 0; i < int(req.count); i++ {
		joins = append(joins, join{fd: int32(req.joins[i].fd), flags: uint32(req.joins[i].flags)})
	}
	return uint32(req.unshare), joins, true
}
