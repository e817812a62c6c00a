package seccomp

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseBPF(t *testing.T) {
	for _, n := range []int{0, 7, 9} {
		if _, err := parseBPF(make([]byte, n)); err == nil {
			t.Errorf("%d bytes accepted", n)
		}
	}
	p, err := parseBPF([]byte{6, 0, 1, 2, 0, 0, 0xff, 0x7f}) // little-endian host
	if err != nil || len(p) != 1 || p[0].Code != unix.BPF_RET|unix.BPF_K || p[0].Jt != 1 || p[0].Jf != 2 || p[0].K != unix.SECCOMP_RET_ALLOW {
		t.Fatalf("%+v %v", p, err)
	}
}

// FuzzParseBPF: any byte string either parses into len/8 instructions or is refused.
func FuzzParseBPF(f *testing.F) {
	f.Add([]byte{6, 0, 0, 0, 0, 0, 0xff, 0x7f})
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parseBPF(b)
		if err == nil && len(p)*sockFilterSize != len(b) {
			t.Fatalf("%d bytes gave %d instructions", len(b), len(p))
		}
	})
}
