package libcontain

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/contain-runtime/contain/libcontain/cgroups"
	"github.com/contain-runtime/contain/libcontain/namespaces"
	"github.com/contain-runtime/contain/spec"
)

// planAndStart plans the sandbox and the cgroup, records both, and prepares an early start
// (startEarly).
func (b *builder) planAndStart() (cgroups.Manager, bool, error) {
	if err := b.planSandbox(); err != nil {
		return nil, false, err
	}
	cg, err := b.planCgroup()
	if err != nil {
		return nil, false, err
	}
	if err := b.saveNoted(); err != nil {
		return nil, false, err
	}
	early, err := b.startEarly(cg)
	return cg, early, err
}

// startEarly decides whether init starts before its cgroup cg (planned, not made) and its files
// are made, and prepares for it: init's start (a fork in its namespaces, an execve and a second
// Go runtime's start, about 4 ms) then overlaps their making (2-3 ms of mkdirs and writes),
// instead of following it.
//
// It needs the fs driver on v1 (cgroups.LateJoiner): init is cloned into a hybrid host's unified
// dir, made first, and its thread joins the v1 dirs itself once they exist (InitConfig.
// JoinCgroups), without the RCU grace period a move of a whole process waits for. Not with a
// user namespace, whose root cannot write the host's tasks files, nor when the sandbox gives
// init its stdio, which is opened with the sandbox.
//
// Nor with a memory limit near init's own size (tinyMemoryLimit): what init uses before its
// thread moves stays charged where the runtime runs, so such a limit would be accepted and init
// killed by the OOM killer while it sets up, where the usual order has the kernel refuse the
// limit (EBUSY: "below what the container's init already uses"), as runc's does.
func (b *builder) startEarly(cg cgroups.Manager) (bool, error) {
	lj, ok := cg.(cgroups.LateJoiner)
	if !ok || b.rt.Rootless || b.iso.Stdio == spec.StdioSandbox ||
		namespaces.Lists(b.spec.Linux.Namespaces, specs.UserNamespace) || tinyMemoryLimit(b.spec) {
		return false, nil
	}
	// b.cg before the dir exists: undo removes whatever CreateUnified made.
	b.cg = cg
	if err := lj.CreateUnified(); err != nil {
		return false, fmt.Errorf("cgroup: %w", err)
	}
	return true, nil
}

// tinyMemoryLimit reports a memory (or memory+swap) limit below 64 MiB: within a few times what
// init itself uses (its Go runtime, 2-13 MB), where whether init is charged matters.
func tinyMemoryLimit(s *specs.Spec) bool {
	r := cfgResources(s)
	if r == nil || r.Memory == nil {
		return false
	}
	for _, l := range []*int64{r.Memory.Limit, r.Memory.Swap} {
		if l != nil && *l > 0 && *l < 64<<20 {
			return true
		}
	}
	return false
}
