package ports

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
)

// StateListen is TCP_LISTEN in include/net/tcp_states.h, the "st" column's 0A.
const StateListen uint8 = 0x0A

// Socket is one row of /proc/net/tcp or /proc/net/tcp6.
type Socket struct {
	LocalIP   net.IP
	LocalPort uint16
	State     uint8 // StateListen, or another TCP_* state
	Inode     uint64
}

// maxLineLen bounds one row. Real rows are ~150 bytes (tcp6); the bound only stops a garbage
// input from growing the scanner's buffer without limit.
const maxLineLen = 4096

// ParseProcNetTCP parses the contents of /proc/net/tcp or /proc/net/tcp6 (which one is told
// apart per row by the address length). The format is the kernel's tcp4_seq_show and
// tcp6_seq_show: a header line starting with "sl", then one row per socket:
//
//	sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
//	0: 0100007F:7919 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 267546 ...
//
// Addresses are the raw __be32 words printed with %08X, that is in this machine's byte order,
// so they are decoded with the native byte order: a capture from a big-endian machine reads
// differently. Ports are printed after ntohs, in plain hex.
func ParseProcNetTCP(r io.Reader) ([]Socket, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 512), maxLineLen)
	var out []Socket
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || (n == 1 && strings.HasPrefix(line, "sl")) {
			continue
		}
		s, err := parseRow(line)
		if err != nil {
			return nil, fmt.Errorf("parse /proc/net/tcp line %d: %w", n, err)
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read /proc/net/tcp: %w", err)
	}
	return out, nil
}

func parseRow(line string) (Socket, error) {
	f := strings.Fields(line)
	// sl local remote st tx:rx tr:when retrnsmt uid timeout inode ...
	if len(f) < 10 {
		return Socket{}, fmt.Errorf("%d fields, want at least 10", len(f))
	}
	if !strings.HasSuffix(f[0], ":") {
		return Socket{}, fmt.Errorf("slot %q does not end in ':'", f[0])
	}
	ip, port, err := parseAddr(f[1])
	if err != nil {
		return Socket{}, err
	}
	if _, _, err := parseAddr(f[2]); err != nil {
		return Socket{}, fmt.Errorf("remote %w", err)
	}
	if len(f[3]) != 2 {
		return Socket{}, fmt.Errorf("state %q: want two hex digits", f[3])
	}
	st, err := strconv.ParseUint(f[3], 16, 8)
	if err != nil {
		return Socket{}, fmt.Errorf("state %q: want two hex digits", f[3])
	}
	ino, err := strconv.ParseUint(f[9], 10, 64)
	if err != nil {
		return Socket{}, fmt.Errorf("inode %q: want a decimal number", f[9])
	}
	return Socket{LocalIP: ip, LocalPort: port, State: uint8(st), Inode: ino}, nil
}

// parseAddr reads "0100007F:7919" (IPv4) or a 32-hex-digit IPv6 address and port.
func parseAddr(s string) (net.IP, uint16, error) {
	a, p, ok := strings.Cut(s, ":")
	if !ok || len(p) != 4 || (len(a) != 8 && len(a) != 32) {
		return nil, 0, fmt.Errorf("address %q: want HEXADDR:HEXPORT", s)
	}
	raw, err := hex.DecodeString(a)
	if err != nil {
		return nil, 0, fmt.Errorf("address %q: %w", s, err)
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return nil, 0, fmt.Errorf("address %q: bad port", s)
	}
	// hex.DecodeString read the printed digits big-endian; each 32-bit word was printed from
	// memory in native order, so turn every word back into the bytes the kernel held.
	ip := make(net.IP, len(raw))
	for i := 0; i < len(raw); i += 4 {
		binary.NativeEndian.PutUint32(ip[i:], binary.BigEndian.Uint32(raw[i:]))
	}
	return ip, uint16(port), nil
}
