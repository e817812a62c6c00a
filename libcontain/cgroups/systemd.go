package cgroups

import (
	"fmt"
	"path/filepath"

	"github.com/contain-runtime/contain/libcontain/cgroups/systemd"
)

// Unit is implemented by managers of the systemd driver: the container's unit, to be saved with
// its state, and whether it lives in the user's own systemd instance.
type Unit interface {
	UnitName() string
	UserInstance() bool
}

// SystemdOptions are what the systemd driver needs beyond Config.
type SystemdOptions struct {
	// User puts the container's unit in the caller's own systemd instance (rootless, v2).
	User bool
	// Annotations are the spec's; org.systemd.property.* ones become unit properties.
	Annotations map[string]string
	// Connect opens the bus (nil: D-Bus); tests pass a fake.
	Connect func(user bool) (systemd.Bus, error)
}

// NewSystemd returns a manager whose cgroup is a transient systemd unit named by c.Path
// ("slice:prefix:name", runc's form) or by c.ID. It connects to systemd at once, so a host
// without it fails here with one clear line; the unit starts at the first Join.
func NewSystemd(c Config, o SystemdOptions) (Manager, error) {
	unit, err := systemd.ParsePath(c.Path, c.ID, o.User)
	if err != nil {
		return nil, err
	}
	extra, err := systemd.AnnotationProperties(o.Annotations)
	if err != nil {
		return nil, err
	}
	root := c.Root
	if root == "" {
		root = DefaultRoot
	}
	root = filepath.Clean(root)
	sc := systemd.Config{Unit: unit, User: o.User, Root: root, Extra: extra, Connect: o.Connect}
	if !c.unified(root) {
		if sc.V1Mounts, err = v1Mounts(c, root); err != nil {
			return nil, err
		}
	}
	m, err := systemd.New(sc)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// v1Mounts maps each v1 controller of the runtime's own cgroups to the mount point of its
// hierarchy, from the root of each hierarchy: systemd's slices are paths from there.
func v1Mounts(c Config, root string) (map[string]string, error) {
	entries, mounts, err := readSelf(c)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, m := range mounts {
		if m.FSType != "cgroup" || !below(m.Mountpoint, root) || filepath.Clean(m.Root) != "/" {
			continue
		}
		for _, e := range entries {
			if e.unified() || e.otherNamed() || !servedBy(e, m) {
				continue
			}
			for _, ctrl := range e.Controllers {
				if _, ok := out[ctrl]; !ok {
					out[ctrl] = filepath.Clean(m.Mountpoint)
				}
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("systemd cgroup driver: no cgroup v1 hierarchy is mounted from its root under %s", root)
	}
	return out, nil
}

// LoadSystemd rebuilds the manager of a container whose cgroup is the systemd unit named unit
// (saved in state with its paths and, on v1, the dirs made beside systemd's).
func LoadSystemd(unit string, user bool, paths map[string]string, created []string) (Manager, error) {
	if unit == "" {
		return nil, fmt.Errorf("load cgroup: no systemd unit saved")
	}
	if err := checkSaved(paths, created); err != nil {
		return nil, err
	}
	return systemd.Load(systemd.Unit{Name: unit}, user, paths, created, nil), nil
}
