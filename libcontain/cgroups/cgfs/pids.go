package cgfs

import (
	"github.com/contain-runtime/contain/libcontain/cgroups/stats"
)

// ReadPids reads the pids controller's files in dir: pids.current, pids.max ("max" reads as
// math.MaxUint64), pids.peak and the "max" count of pids.events (forks refused at the limit). A
// file this kernel does not have reads as 0; the first other error is returned, with what was
// read.
func ReadPids(dir string) (stats.PidsStats, error) {
	var r Reader
	p := stats.PidsStats{Current: r.Uint(dir, "pids.current"), Limit: r.Uint(dir, "pids.max"), Peak: r.Uint(dir, "pids.peak")}
	p.LimitHits = r.KeyValues(dir, "pids.events")["max"]
	return p, r.Err()
}
