package initproc

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestProcessEnv(t *testing.T) {
	passwd := func() (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader("root:x:0:0:root:/root:/bin/sh\ntempuser:x:2000:2000::/home/tempuser:/bin/sh\nnohome:x:3000:3000::\n")), nil
	}
	missing := func() (io.ReadCloser, error) { return nil, errors.New("no /etc/passwd") }
	for _, tc := range []struct {
		name   string
		env    []string
		uid    int
		passwd func() (io.ReadCloser, error)
		want   []string
	}{
		{"last value wins, first place kept", []string{"A=1", "B=2", "A=3"}, 0, passwd, []string{"B=2", "A=3", "HOME=/root"}},
		{"HOME kept", []string{"HOME=/x"}, 0, passwd, []string{"HOME=/x"}},
		{"empty HOME replaced", []string{"HOME=/x", "HOME="}, 2000, passwd, []string{"HOME=/home/tempuser"}},
		{"user without home field", nil, 3000, passwd, []string{"HOME="}},
		{"unknown user", nil, 4000, passwd, []string{"HOME=/"}},
		{"no passwd", nil, 0, missing, []string{"HOME=/"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := processEnv(tc.env, tc.uid, tc.passwd)
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("processEnv = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	for _, bad := range [][]string{{"NOEQUALS"}, {"=x"}, {"A=b\x00c"}} {
		if _, err := processEnv(bad, 0, passwd); err == nil {
			t.Errorf("processEnv(%q) accepted", bad)
		}
	}
}

func FuzzHomeOf(f *testing.F) {
	f.Add("root:x:0:0::/root:/bin/sh\n", 0)
	f.Fuzz(func(t *testing.T, passwd string, uid int) { homeOf(strings.NewReader(passwd), uid) })
}
