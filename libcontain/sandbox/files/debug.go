package files

import (
	"os"
	"path/filepath"

	"github.com/contain-runtime/contain/libcontain/sandbox"
)

// Debug maps every virtual directory the tree serves to the real directory behind it: each
// container's latest and each of its runs, as Mesos' /files/debug lists what is attached. A
// latest link that does not name a run is left out.
func (t *Tree) Debug() (map[string]string, error) {
	runs, err := sandbox.Runs(t.workDir)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, r := range runs {
		if !shown(levelContainers, r.ID) || !validRun(r.RunID) {
			continue
		}
		out["/containers/"+r.ID+"/runs/"+r.RunID] = r.Dir
		if target, err := os.Readlink(filepath.Join(filepath.Dir(r.Dir), "latest")); err == nil && target == r.RunID {
			out["/containers/"+r.ID+"/latest"] = r.Dir
		}
	}
	return out, nil
}
