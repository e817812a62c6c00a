package main

import (
	"bytes"
	"io"
	"reflect"
	"strings"
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
		{"0", 0, false},
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

// TestRefusedGlobalFlagSaysWhy: a global flag refused before any command runs fails like a
// command does, with one line on stderr naming it (it used to exit 1 silently).
func TestRefusedGlobalFlagSaysWhy(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--log-format", "xml", "list"}, `contain: invalid --log-format "xml"`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stderr bytes.Buffer
			app := newApp(&stderr)
			app.Writer = io.Discard
			err := app.Run(append([]string{"contain", "--root", t.TempDir()}, tc.args...))
			if err == nil {
				t.Fatal("refused flag accepted")
			}
			if got := stderr.String(); !strings.HasPrefix(got, tc.want) || strings.Count(got, "\n") != 1 {
				t.Errorf("stderr %q, want one line starting %q", got, tc.want)
			}
		})
	}
}

func TestParseSubCgroups(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want map[string]string
		err  bool
	}{
		{nil, nil, false},
		{[]string{"sub"}, map[string]string{"": "sub"}, false},
		{[]string{"pids:a", "cpu,cpuacct:b"}, map[string]string{"pids": "a", "cpu": "b", "cpuacct": "b"}, false},
		{[]string{"a", "b"}, nil, true},
		{[]string{":a"}, nil, true},
		{[]string{"pids:a", "pids:b"}, nil, true},
	} {
		got, err := parseSubCgroups(tc.in)
		if (err != nil) != tc.err || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseSubCgroups(%q) = %v, %v", tc.in, got, err)
		}
	}
}
