package cgfs

import (
	"errors"
	"io/fs"

	"github.com/contain-runtime/contain/libcontain/cgroups/stats"
)

// ReadPids reads the pids controller's files in dir: pids.current, pids.max ("max" reads as
// math.MaxUint64), pids.peak and the "max" count of pids.events (forks refused at the limit). A
// file this kernel does not have reads as 0; the first other error is returned, with what was
// read.
func ReadPids(dir string) (stats.PidsStats, error) {
	var p stats.PidsStats
	var first error
	keep := func(err error) {
		if err != nil && !errors.Is(err, fs.ErrNotExist) && first == nil {
			first = err
		}
	}
	var err error
	p.Current, err = ReadUint(dir, "pids.current")
	keep(err)
	p.Limit, err = ReadUint(dir, "pids.max")
	keep(err)
	p.Peak, err = ReadUint(dir, "pids.peak")
	keep(err)
	events, err := ReadKeyValues(dir, "pids.events")
	keep(err)
	p.LimitHits = events["max"]
	return p, first
}
