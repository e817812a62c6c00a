package libcontain

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/contain-runtime/contain/spec"
	"github.com/contain-runtime/contain/state"
)

// Container is a handle on one container's state dir. Each operation takes the dir's lock
// itself (exclusive to change, shared to read), so two runtime processes never interleave.
type Container struct {
	rt *Runtime
	ID string
	// init is set only in the process that created the container (run waits on it).
	init *os.Process
	// console is the pty master when run proxies a terminal.
	console *os.File
	// progress and onExit come from CreateOpts, for a foreground run.
	progress  func(string)
	onExit    func(Exit)
	wantUsage bool
	// keep: a foreground run does not delete the container once it stopped (run --keep).
	keep bool
	// config is the config create saved, in the process that created the container: `run`'s
	// start and delete use it instead of decoding config.json again. Only the fields no
	// `update` changes are read from it (hooks, annotations, namespaces).
	config *specs.Spec
}

// loadConfig returns the container's saved config.
func (c *Container) loadConfig(d *state.Dir) (*specs.Spec, error) {
	if c.config != nil {
		return c.config, nil
	}
	return d.LoadConfig()
}

// Load returns the container named id, or ErrNotExist.
func Load(rt *Runtime, id string) (*Container, error) {
	if err := state.ValidateID(id); err != nil {
		return nil, err
	}
	d, err := rt.openDir(id, false)
	if err != nil {
		return nil, err
	}
	d.Close()
	return &Container{rt: rt, ID: id}, nil
}

// open locks the container's dir (exclusive to change it, shared to read) and loads its state.
// The caller closes the dir, which releases the lock.
func (c *Container) open(exclusive bool) (*state.Dir, *state.State, error) {
	d, err := c.rt.openDir(c.ID, exclusive)
	if err != nil {
		return nil, nil, err
	}
	st, err := loadState(d)
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	return d, st, nil
}

func (rt *Runtime) openDir(id string, exclusive bool) (*state.Dir, error) {
	d, err := rt.Store.Open(id, exclusive)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotExist
	}
	return d, err
}

// Info is `contain state`: the OCI state plus what runc adds (rootfs, created, owner).
type Info struct {
	specs.State
	Rootfs  string    `json:"rootfs"`
	Created time.Time `json:"created"`
	Owner   string    `json:"owner"`
}

// State reports the container's OCI state with its derived status.
func (c *Container) State() (*Info, error) {
	d, st, err := c.open(false)
	if err != nil {
		return nil, err
	}
	in := infoOf(d, st)
	d.Close()
	if in.Status == specs.StateStopped || !c.checkMonitor(st) {
		return in, nil
	}
	// The container was killed for running unmonitored: report what is true now.
	if d, st, err = c.open(false); err != nil {
		return nil, err
	}
	defer d.Close()
	return infoOf(d, st), nil
}

func loadState(d *state.Dir) (*state.State, error) {
	st, err := d.Load()
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotExist
	}
	if err != nil {
		return nil, fmt.Errorf("load state: %w", err)
	}
	return st, nil
}

func infoOf(d *state.Dir, st *state.State) *Info {
	return infoWith(st, statusOf(d, st), true)
}

// infoWith is the Info of st in the given status. oom: a stopped container's annotations say
// whether the OOM killer ended it, which costs a read of its cgroup.
func infoWith(st *state.State, status Status, oom bool) *Info {
	in := &Info{State: st.State, Rootfs: st.Rootfs, Created: st.Created, Owner: ""}
	in.Version = specs.Version
	in.Status = specs.ContainerState(status)
	if status != Stopped {
		return in
	}
	in.Pid = 0
	if !oom || in.Annotations[spec.AnnotationLimitation] != "" {
		return in
	}
	// The kernel's OOM killer is the memory isolator: say so like the others.
	if m, err := loadCgroup(st); err == nil && m != nil {
		if n, err := m.OOMKillCount(); err == nil && n > 0 {
			a := make(map[string]string, len(in.Annotations)+2)
			for k, v := range in.Annotations {
				a[k] = v
			}
			a[spec.AnnotationLimitation] = "memory"
			a[spec.AnnotationLimitationMessage] = fmt.Sprintf("%d process(es) killed by the OOM killer at the memory limit", n)
			in.Annotations = a
		}
	}
	return in
}

// Config returns the container's spec as saved at create (and changed by update).
func (c *Container) Config() (*specs.Spec, error) {
	d, err := c.rt.openDir(c.ID, false)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	s, err := d.LoadConfig()
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	return s, nil
}
