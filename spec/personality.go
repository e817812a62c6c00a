package spec

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Personality converts linux.personality's domain to personality(2)'s value (runc knows LINUX
// and LINUX32; flags it ignores with a warning, which the caller gives).
func Personality(p *specs.LinuxPersonality) (int, error) {
	switch p.Domain {
	case specs.PerLinux:
		return 0x0000, nil
	case specs.PerLinux32:
		return 0x0008, nil
	}
	return -1, fmt.Errorf("invalid personality domain %s", p.Domain)
}
