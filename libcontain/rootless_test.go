package libcontain

import "testing"

func TestRootlessFrom(t *testing.T) {
	initial := []byte("         0          0 4294967295\n")
	podman := []byte("         0       1000          1\n         1     100000      65536\n")
	for _, tt := range []struct {
		name string
		euid int
		m    []byte
		user string
		want bool
	}{
		{"root", 0, initial, "root", false},
		{"root without USER", 0, initial, "", false},
		{"user", 1000, initial, "alice", true},
		{"podman rootless", 0, podman, "alice", true},
		{"root of a userns as root", 0, podman, "root", false},
	} {
		if got := RootlessFrom(tt.euid, tt.m, tt.user); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}
