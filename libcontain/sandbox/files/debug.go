package files

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// Debug maps every virtual directory the tree serves to the real directory behind it: each
// container's latest and each of its runs, as Mesos' /files/debug lists what is attached. A
// latest link that does not name a run is left out.
func (t *Tree) Debug() (map[string]string, error) {
	out := map[string]string{}
	root := filepath.Join(t.workDir, "containers")
	ids, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if !id.IsDir() || !shown(levelContainers, id.Name()) {
			continue
		}
		runsDir := filepath.Join(root, id.Name(), "runs")
		runs, err := os.ReadDir(runsDir)
		if err != nil {
			continue
		}
		for _, run := range runs {
			if run.IsDir() && validRun(run.Name()) {
				out["/containers/"+id.Name()+"/runs/"+run.Name()] = filepath.Join(runsDir, run.Name())
			}
		}
		if target, err := os.Readlink(filepath.Join(runsDir, "latest")); err == nil && validRun(target) {
			if _, ok := out["/containers/"+id.Name()+"/runs/"+target]; ok {
				out["/containers/"+id.Name()+"/latest"] = filepath.Join(runsDir, target)
			}
		}
	}
	return out, nil
}
