package nsenter

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseRequest(t *testing.T) {
	valid := []struct {
		name    string
		unshare uint32
		joins   []join
	}{
		{"one join", 0, []join{{fd: 3, flags: unix.CLONE_NEWNET}}},
		{"pidfd with every type", 0, []join{{fd: 7, flags: unix.CLONE_NEWNS | unix.CLONE_NEWCGROUP |
			unix.CLONE_NEWUTS | unix.CLONE_NEWIPC | unix.CLONE_NEWUSER | unix.CLONE_NEWPID |
			unix.CLONE_NEWNET | unix.CLONE_NEWTIME}}},
		{"unshare only", unix.CLONE_NEWNS | unix.CLONE_NEWPID, nil},
		{"joins and unshare", unix.CLONE_NEWUTS, []join{{fd: 4, flags: unix.CLONE_NEWUSER}, {fd: 5, flags: unix.CLONE_NEWNS}}},
		{"sixteen joins", 0, func() []join {
			j := make([]join, maxJoins)
			for i := range j {
				j[i] = join{fd: int32(3 + i), flags: unix.CLONE_NEWIPC}
			}
			return j
		}()},
	}
	for _, tc := range valid {
		t.Run(tc.name, func(t *testing.T) {
			b, err := encodeRequest(tc.unshare, tc.joins)
			if err != nil {
				t.Fatal(err)
			}
			unshare, joins, ok := parseRequest(b)
			if !ok {
				t.Fatalf("C parser rejected a request the Go side encoded: % x", b)
			}
			if unshare != tc.unshare || !reflect.DeepEqual(joins, tc.joins) {
				t.Fatalf("parsed (%#x, %v), want (%#x, %v)", unshare, joins, tc.unshare, tc.joins)
			}
		})
	}

	net := []join{{fd: 3, flags: unix.CLONE_NEWNET}}
	enc := func(unshare uint32, joins []join) []byte {
		b, err := encodeRequest(unshare, joins)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	setWord := func(b []byte, i int, v uint32) []byte {
		b = bytes.Clone(b)
		binary.NativeEndian.PutUint32(b[4*i:], v)
		return b
	}
	invalid := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"short header", enc(0, net)[:12]},
		{"bad magic", setWord(enc(0, net), 0, 0x12345678)},
		{"reserved set", setWord(enc(0, net), 3, 1)},
		{"count too large", setWord(enc(0, net), 2, maxJoins+1)},
		{"count overflows", setWord(enc(0, net), 2, 0xffffffff)},
		{"count larger than body", setWord(enc(0, net), 2, 2)},
		{"trailing byte", append(enc(0, net), 0)},
		{"truncated entry", enc(0, net)[:20]},
		{"nothing to do", enc(0, nil)},
		{"stdio fd", enc(0, []join{{fd: 2, flags: unix.CLONE_NEWNET}})},
		{"negative fd", enc(0, []join{{fd: -1, flags: unix.CLONE_NEWNET}})},
		{"no flags", enc(0, []join{{fd: 3}})},
		{"not a namespace flag", enc(0, []join{{fd: 3, flags: unix.CLONE_VM}})},
		{"unshare user", enc(unix.CLONE_NEWUSER, nil)},
		{"unshare time", enc(unix.CLONE_NEWTIME, nil)},
		{"unshare not a namespace", enc(unix.CLONE_FILES, nil)},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, ok := parseRequest(tc.b); ok {
				t.Fatalf("C parser accepted % x", tc.b)
			}
		})
	}
}

func TestEncodeRequestTooManyJoins(t *testing.T) {
	if _, err := encodeRequest(0, make([]join, maxJoins+1)); err == nil {
		t.Fatal("encoded more joins than the C side accepts")
	}
}

// FuzzParseRequest throws bytes at the C parser the constructor runs on what it receives. Whatever
// it accepts must be exactly what the Go encoder would produce for the parsed values: there is one
// valid encoding of every request, and nothing else gets through.
func FuzzParseRequest(f *testing.F) {
	for _, r := range []struct {
		unshare uint32
		joins   []join
	}{
		{0, []join{{fd: 3, flags: unix.CLONE_NEWNET}}},
		{unix.CLONE_NEWPID, []join{{fd: 4, flags: unix.CLONE_NEWUSER}, {fd: 5, flags: unix.CLONE_NEWNS}}},
	} {
		b, _ := encodeRequest(r.unshare, r.joins)
		f.Add(b)
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		unshare, joins, ok := parseRequest(b)
		if !ok {
			return
		}
		again, err := encodeRequest(unshare, joins)
		if err != nil {
			t.Fatalf("accepted request does not re-encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("accepted % x, which re-encodes as % x", b, again)
		}
	})
}

func replyBytes(magicV uint32, pid, errno int32, op string) []byte {
	b := make([]byte, replySize)
	binary.NativeEndian.PutUint32(b, magicV)
	binary.NativeEndian.PutUint32(b[4:], uint32(pid))
	binary.NativeEndian.PutUint32(b[8:], uint32(errno))
	copy(b[12:], op)
	return b
}

func TestDecodeReply(t *testing.T) {
	full := replyBytes(magic, 0, 1, "")
	for i := 12; i < len(full); i++ {
		full[i] = 'x'
	}
	tests := []struct {
		name string
		b    []byte
		want reply
		ok   bool
	}{
		{"success without fork", replyBytes(magic, 0, 0, ""), reply{}, true},
		{"success with fork", replyBytes(magic, 4242, 0, ""), reply{pid: 4242}, true},
		{"failure", replyBytes(magic, 0, int32(unix.EPERM), "setns mnt"), reply{err: int32(unix.EPERM), op: "setns mnt"}, true},
		{"short", replyBytes(magic, 0, 0, "")[:replySize-1], reply{}, false},
		{"long", append(replyBytes(magic, 0, 0, ""), 0), reply{}, false},
		{"bad magic", replyBytes(magic+1, 0, 0, ""), reply{}, false},
		{"negative pid", replyBytes(magic, -1, 0, ""), reply{}, false},
		{"negative errno", replyBytes(magic, 0, -1, "x"), reply{}, false},
		{"failure without op", replyBytes(magic, 0, 1, ""), reply{}, false},
		{"failure with pid", replyBytes(magic, 5, 1, "clone"), reply{}, false},
		{"success with op", replyBytes(magic, 0, 0, "setns"), reply{}, false},
		{"op unterminated", full, reply{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeReply(tc.b)
			if (err == nil) != tc.ok {
				t.Fatalf("decodeReply: err = %v, want ok = %v", err, tc.ok)
			}
			if tc.ok && got != tc.want {
				t.Fatalf("decodeReply = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func FuzzDecodeReply(f *testing.F) {
	f.Add(replyBytes(magic, 0, 0, ""))
	f.Add(replyBytes(magic, 0, 1, "setns user"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeReply(b)
		if err != nil {
			return
		}
		if r.pid < 0 || r.err < 0 || (r.err != 0) != (r.op != "") || (r.err != 0 && r.pid != 0) {
			t.Fatalf("inconsistent reply accepted: %+v", r)
		}
	})
}
