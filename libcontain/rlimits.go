package libcontain

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/spec"
)

// applyRlimits sets the child's limits from the parent with prlimit: raising a hard limit needs
// CAP_SYS_RESOURCE in the initial user namespace, which a child in a user namespace never has.
func applyRlimits(pid int, rls []specs.POSIXRlimit) error {
	for _, rl := range rls {
		res, ok := spec.Rlimit(rl.Type)
		if !ok {
			return fmt.Errorf("unknown rlimit type %q", rl.Type)
		}
		lim := unix.Rlimit{Cur: rl.Soft, Max: rl.Hard}
		if err := unix.Prlimit(pid, res, &lim, nil); err != nil {
			return fmt.Errorf("set %s to %d:%d: %w", rl.Type, rl.Soft, rl.Hard, err)
		}
	}
	return nil
}
