package main

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseSignal(t *testing.T) {
	tests := []struct {
		in      string
		want    unix.Signal
		wantErr bool
	}{
		{"9", unix.SIGKILL, false},
		{"15", unix.SIGTERM, false},
		{"KILL", unix.SIGKILL, false},
		{"SIGKILL", unix.SIGKILL, false},
		{"kill", unix.SIGKILL, false},
		{"sigusr1", unix.SIGUSR1, false},
		{"0", 0, true},
		{"65", 0, true},
		{"-1", 0, true},
		{"SIGFOO", 0, true},
		{"", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseSignal(tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("parseSignal(%q) = %v, %v; want %v, err %v", tc.in, got, err, tc.want, tc.wantErr)
			}
		})
	}
}
