package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain"
	"github.com/contain-runtime/contain/spec"
)

var updateCommand = &cli.Command{
	Name: "update", Usage: "change a container's resource limits", ArgsUsage: "<container-id>",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "resources", Aliases: []string{"r"}, Usage: "LinuxResources JSON file (- for stdin)"},
		&cli.StringFlag{Name: "memory", Usage: "memory limit (64M, -1 unlimited)"},
		&cli.StringFlag{Name: "memory-reservation", Usage: "memory soft limit"},
		&cli.StringFlag{Name: "memory-swap", Usage: "memory + swap limit"},
		&cli.StringFlag{Name: "cpu-quota", Usage: "CFS quota in µs per period (-1 unlimited)"},
		&cli.StringFlag{Name: "cpu-period", Usage: "CFS period in µs"},
		&cli.StringFlag{Name: "cpu-share", Usage: "CPU shares (relative weight)"},
		&cli.StringFlag{Name: "cpuset-cpus", Usage: "CPUs to run on (0-3, 0,1)"},
		&cli.StringFlag{Name: "cpuset-mems", Usage: "memory nodes to use"},
		&cli.StringFlag{Name: "pids-limit", Usage: "most processes at once (0 or -1 unlimited)"},
	},
	Action: action(func(c *cli.Context, rt *libcontain.Runtime) error {
		if err := checkArgs(c, 1, exactArgs); err != nil {
			return err
		}
		r, err := updateResources(c)
		if err != nil {
			return err
		}
		ct, err := libcontain.Load(rt, c.Args().First())
		if err != nil {
			return err
		}
		return ct.Update(r)
	}),
}

// updateResources builds the update from -r (read whole) and then the flags, which win.
func updateResources(c *cli.Context) (*specs.LinuxResources, error) {
	r := &specs.LinuxResources{}
	if p := c.String("resources"); p != "" {
		var b []byte
		var err error
		if p == "-" {
			b, err = spec.ReadInputFile(os.Stdin, "resources from stdin", spec.MaxInputSize)
		} else {
			b, err = spec.ReadInput(p, "resources file", spec.MaxInputSize)
		}
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, r); err != nil {
			return nil, fmt.Errorf("parse resources: %w", err)
		}
	}
	size := func(name string) (*int64, error) {
		if !c.IsSet(name) {
			return nil, nil
		}
		v := c.String(name)
		if v == "-1" {
			n := int64(-1)
			return &n, nil
		}
		n, err := spec.ParseSize(v)
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", name, err)
		}
		return &n, nil
	}
	integer := func(name string) (*int64, error) {
		if !c.IsSet(name) {
			return nil, nil
		}
		n, err := strconv.ParseInt(c.String(name), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("invalid --%s %q: want a whole number", name, c.String(name))
		}
		return &n, nil
	}
	var err error
	mem := func(dst **int64, name string) {
		if err == nil {
			var v *int64
			if v, err = size(name); v != nil {
				if r.Memory == nil {
					r.Memory = &specs.LinuxMemory{}
				}
				*dst = v
			}
		}
	}
	if r.Memory == nil {
		r.Memory = &specs.LinuxMemory{}
	}
	mem(&r.Memory.Limit, "memory")
	mem(&r.Memory.Reservation, "memory-reservation")
	mem(&r.Memory.Swap, "memory-swap")
	if err != nil {
		return nil, err
	}
	if r.CPU == nil {
		r.CPU = &specs.LinuxCPU{}
	}
	if q, err := integer("cpu-quota"); err != nil {
		return nil, err
	} else if q != nil {
		r.CPU.Quota = q
	}
	for name, dst := range map[string]**uint64{"cpu-period": &r.CPU.Period, "cpu-share": &r.CPU.Shares} {
		v, err := integer(name)
		if err != nil {
			return nil, err
		}
		if v != nil {
			if *v < 0 {
				return nil, fmt.Errorf("invalid --%s %d: must not be negative", name, *v)
			}
			u := uint64(*v)
			*dst = &u
		}
	}
	if c.IsSet("cpuset-cpus") {
		r.CPU.Cpus = c.String("cpuset-cpus")
	}
	if c.IsSet("cpuset-mems") {
		r.CPU.Mems = c.String("cpuset-mems")
	}
	if p, err := integer("pids-limit"); err != nil {
		return nil, err
	} else if p != nil {
		r.Pids = &specs.LinuxPids{Limit: p}
	}
	if *r.Memory == (specs.LinuxMemory{}) {
		r.Memory = nil
	}
	if r.CPU.Shares == nil && r.CPU.Quota == nil && r.CPU.Period == nil && r.CPU.Cpus == "" && r.CPU.Mems == "" {
		r.CPU = nil
	}
	return r, nil
}

var eventsCommand = &cli.Command{
	Name: "events", Usage: "print container events and resource statistics as JSON lines", ArgsUsage: "<container-id>",
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "stats", Usage: "print one stats event and exit"},
		&cli.DurationFlag{Name: "interval", Value: 5 * time.Second, Usage: "how often to print stats"},
	},
	Action: action(func(c *cli.Context, rt *libcontain.Runtime) error {
		if err := checkArgs(c, 1, exactArgs); err != nil {
			return err
		}
		if c.Duration("interval") <= 0 {
			return fmt.Errorf("invalid --interval %s: must be positive", c.Duration("interval"))
		}
		ct, err := libcontain.Load(rt, c.Args().First())
		if err != nil {
			return err
		}
		enc := json.NewEncoder(c.App.Writer)
		if c.Bool("stats") {
			s, err := ct.Stats()
			if err != nil {
				return err
			}
			return enc.Encode(libcontain.Event{Type: "stats", ID: ct.ID, Data: s})
		}
		ctx, stop := signal.NotifyContext(context.Background(), unix.SIGINT, unix.SIGTERM)
		defer stop()
		return ct.Events(ctx, c.Duration("interval"), func(e libcontain.Event) error { return enc.Encode(e) })
	}),
}
