package spec

import (
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// supportedVersions is what ociVersion may be, for messages. The newest minor is the one of the
// runtime-spec module we are built with: a config from a newer spec may use fields we would
// silently ignore.
var supportedVersions = fmt.Sprintf("1.0.x to 1.%d.x", specs.VersionMinor)

// checkVersion accepts a SemVer 1.0.0 ≤ v < 1.(VersionMinor+1).0, with any pre-release or build
// suffix ("1.0.2-dev" is what runc 1.1 writes, "1.0.0-rc5" what old containerd did).
func checkVersion(p *problems, v string) {
	if v == "" {
		p.add("ociVersion must be set (supported: %s)", supportedVersions)
		return
	}
	major, minor, ok := parseVersion(v)
	if !ok {
		p.add("ociVersion %q is not a version (supported: %s)", v, supportedVersions)
		return
	}
	if major != specs.VersionMajor || minor > specs.VersionMinor {
		p.add("ociVersion %q is not supported (supported: %s)", v, supportedVersions)
	}
}

// parseVersion parses MAJOR.MINOR.PATCH[-pre][+build] and returns the major and minor numbers.
func parseVersion(v string) (major, minor int, ok bool) {
	if i := strings.IndexAny(v, "-+"); i >= 0 {
		if i == len(v)-1 {
			return 0, 0, false
		}
		v = v[:i]
	}
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return 0, 0, false
	}
	var n [3]int
	for i, s := range parts {
		if s == "" || (len(s) > 1 && s[0] == '0') || strings.Trim(s, "0123456789") != "" {
			return 0, 0, false
		}
		x, err := strconv.Atoi(s)
		if err != nil {
			return 0, 0, false
		}
		n[i] = x
	}
	return n[0], n[1], true
}
