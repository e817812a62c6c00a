package initproc

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// processEnv is the process's environment as runc builds it: a variable listed twice keeps its
// last value (and its place), an empty HOME counts as none, and a missing HOME is the user's
// home from the container's /etc/passwd (read through passwd, after pivot_root), or "/" when it
// has none. Entries without "=" or with a NUL are refused.
func processEnv(env []string, uid int, passwd func() (io.ReadCloser, error)) ([]string, error) {
	seen := make(map[string]bool, len(env))
	out := make([]string, 0, len(env)+1)
	home := false
	for i := len(env) - 1; i >= 0; i-- {
		kv := env[i]
		k, v, ok := strings.Cut(kv, "=")
		switch {
		case !ok:
			return nil, errors.New("invalid environment variable: missing '='")
		case k == "":
			return nil, errors.New("invalid environment variable: name cannot be empty")
		case seen[k]:
			continue
		}
		seen[k] = true
		if strings.IndexByte(kv, 0) >= 0 {
			return nil, fmt.Errorf("invalid environment variable %q: contains nul byte (\\x00)", k)
		}
		if k == "HOME" {
			if v == "" {
				continue
			}
			home = true
		}
		out = append(out, kv)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	if !home {
		out = append(out, "HOME="+userHome(uid, passwd))
	}
	return out, nil
}

// userHome is uid's home directory in the passwd file, "/" when the file or the user is missing.
func userHome(uid int, passwd func() (io.ReadCloser, error)) string {
	f, err := passwd()
	if err != nil {
		return "/"
	}
	defer f.Close()
	if h, ok := homeOf(f, uid); ok {
		return h
	}
	return "/"
}

// homeOf parses passwd(5) lines (name:pw:uid:gid:gecos:home:shell) for uid's home.
func homeOf(r io.Reader, uid int) (string, bool) {
	sc := bufio.NewScanner(r)
	want := strconv.Itoa(uid)
	for sc.Scan() {
		f := strings.Split(sc.Text(), ":")
		if len(f) >= 6 && f[2] == want {
			return f[5], true
		}
	}
	return "", false
}

func openPasswd() (io.ReadCloser, error) { return os.Open("/etc/passwd") }
