package namespaces

import "testing"

func TestHostUID(t *testing.T) {
	podman := []byte("         0       1000          1\n         1     100000      65536\n")
	for _, tt := range []struct {
		uid  int
		m    []byte
		want int
	}{{0, podman, 1000}, {5, podman, 100004}, {1000, []byte("0 0 4294967295\n"), 1000}, {70000, podman, 70000}, {3, nil, 3}} {
		if got := HostUID(tt.uid, tt.m); got != tt.want {
			t.Errorf("HostUID(%d) = %d, want %d", tt.uid, got, tt.want)
		}
	}
}
