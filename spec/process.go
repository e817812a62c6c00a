package spec

import (
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// rlimits are the resource limits Linux has (getrlimit(2)), by the spec's names; runc accepts
// all of them. Validation and the runtime's prlimit both look names up here.
var rlimits = map[string]int{
	"RLIMIT_AS": unix.RLIMIT_AS, "RLIMIT_CORE": unix.RLIMIT_CORE, "RLIMIT_CPU": unix.RLIMIT_CPU,
	"RLIMIT_DATA": unix.RLIMIT_DATA, "RLIMIT_FSIZE": unix.RLIMIT_FSIZE, "RLIMIT_LOCKS": unix.RLIMIT_LOCKS,
	"RLIMIT_MEMLOCK": unix.RLIMIT_MEMLOCK, "RLIMIT_MSGQUEUE": unix.RLIMIT_MSGQUEUE, "RLIMIT_NICE": unix.RLIMIT_NICE,
	"RLIMIT_NOFILE": unix.RLIMIT_NOFILE, "RLIMIT_NPROC": unix.RLIMIT_NPROC, "RLIMIT_RSS": unix.RLIMIT_RSS,
	"RLIMIT_RTPRIO": unix.RLIMIT_RTPRIO, "RLIMIT_RTTIME": unix.RLIMIT_RTTIME, "RLIMIT_SIGPENDING": unix.RLIMIT_SIGPENDING,
	"RLIMIT_STACK": unix.RLIMIT_STACK,
}

// Rlimit returns the resource number of the rlimit the spec names typ ("RLIMIT_NOFILE").
func Rlimit(typ string) (int, bool) {
	r, ok := rlimits[typ]
	return r, ok
}

// checkProcess checks the process to run. create needs one, so a missing process is an error.
func checkProcess(p *problems, proc *specs.Process) {
	if proc == nil {
		p.add("process must be set")
		return
	}
	if len(proc.Args) == 0 {
		p.add("process.args must not be empty")
	}
	switch {
	case proc.Cwd == "":
		p.add("process.cwd must be set")
	case !filepath.IsAbs(proc.Cwd):
		p.add("process.cwd %q must be an absolute path", proc.Cwd)
	}
	for i, e := range proc.Env {
		// The same rules runc's init applies before execve: a NUL would cut the string the
		// kernel sees, and an entry without a name cannot be looked up.
		name, _, ok := strings.Cut(e, "=")
		switch {
		case !ok:
			p.add("process.env[%d] %q must be in NAME=value form", i, e)
		case name == "":
			p.add("process.env[%d] %q has an empty name", i, e)
		case strings.IndexByte(e, 0) >= 0:
			p.add("process.env[%d] %q holds a NUL byte", i, e)
		}
	}
	// Capability names are not checked: runc ignores the ones it does not know, with a warning
	// (init gives it), so a config written for another kernel or with a typo still runs.
	checkRlimits(p, proc.Rlimits)
	// The kernel takes -1000..1000 in /proc/<pid>/oom_score_adj and refuses anything else.
	if a := proc.OOMScoreAdj; a != nil && (*a < -1000 || *a > 1000) {
		p.add("process.oomScoreAdj %d is outside -1000..1000", *a)
	}
}

func checkRlimits(p *problems, rls []specs.POSIXRlimit) {
	seen := make(map[string]bool, len(rls))
	for _, r := range rls {
		if _, ok := Rlimit(r.Type); !ok {
			p.add("process.rlimits: unknown rlimit type %q", r.Type)
			continue
		}
		// The spec says a runtime MUST error on a duplicate type: which one wins is undefined.
		if seen[r.Type] {
			p.add("process.rlimits: duplicate rlimit type %q", r.Type)
		}
		seen[r.Type] = true
		// setrlimit(2) fails with EINVAL when soft exceeds hard.
		if r.Soft > r.Hard {
			p.add("process.rlimits: %s soft limit %d is above its hard limit %d", r.Type, r.Soft, r.Hard)
		}
	}
}
