package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"reflect"
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
		&cli.StringFlag{Name: "resources", Aliases: []string{"r"}, Usage: "LinuxResources JSON file (- for stdin); the other flags are then ignored, as in runc"},
		&cli.IntFlag{Name: "blkio-weight", Usage: "block I/O weight (10 to 1000)"},
		&cli.StringFlag{Name: "memory", Usage: "memory limit (64M, -1 unlimited)"},
		&cli.StringFlag{Name: "memory-reservation", Usage: "memory soft limit"},
		&cli.StringFlag{Name: "memory-swap", Usage: "memory + swap limit (-1 unlimited)"},
		&cli.StringFlag{Name: "kernel-memory", Hidden: true, Usage: "ignored (obsolete)"},
		&cli.StringFlag{Name: "kernel-memory-tcp", Hidden: true, Usage: "ignored (obsolete)"},
		&cli.StringFlag{Name: "cpu-quota", Usage: "CFS quota in µs per period (-1 unlimited)"},
		&cli.StringFlag{Name: "cpu-period", Usage: "CFS period in µs"},
		&cli.StringFlag{Name: "cpu-burst", Usage: "CFS burst in µs: unused quota that may be spent later"},
		&cli.StringFlag{Name: "cpu-share", Usage: "CPU shares (relative weight)"},
		&cli.StringFlag{Name: "cpu-rt-period", Usage: "realtime period in µs (cgroup v1)"},
		&cli.StringFlag{Name: "cpu-rt-runtime", Usage: "realtime runtime in µs per period (cgroup v1)"},
		&cli.StringFlag{Name: "cpu-idle", Usage: "1: the cgroup runs as SCHED_IDLE, 0: normal"},
		&cli.StringFlag{Name: "cpuset-cpus", Usage: "CPUs to run on (0-3, 0,1)"},
		&cli.StringFlag{Name: "cpuset-mems", Usage: "memory nodes to use"},
		&cli.IntFlag{Name: "pids-limit", Usage: "most processes at once (-1 unlimited; 0 means 1)"},
		&cli.StringFlag{Name: "l3-cache-schema", Usage: "Intel RDT L3 cache schema (not supported)"},
		&cli.StringFlag{Name: "mem-bw-schema", Usage: "Intel RDT memory bandwidth schema (not supported)"},
	},
	Action: action(func(c *cli.Context, rt *libcontain.Runtime) error {
		if err := checkArgs(c, 1, exactArgs); err != nil {
			return err
		}
		ct, err := libcontain.Load(rt, c.Args().First())
		if err != nil {
			return err
		}
		r, err := updateResources(c, rt)
		if err != nil {
			return err
		}
		return ct.Update(r)
	}),
}

// updateResources builds the update: -r (read whole) or else the flags, as runc does.
func updateResources(c *cli.Context, rt *libcontain.Runtime) (*specs.LinuxResources, error) {
	for _, name := range []string{"l3-cache-schema", "mem-bw-schema"} {
		if c.String(name) != "" {
			return nil, fmt.Errorf("--%s: Intel RDT is not supported", name)
		}
	}
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
		r := &specs.LinuxResources{}
		if err := json.Unmarshal(b, r); err != nil {
			return nil, fmt.Errorf("parse resources: %w", err)
		}
		return r, nil
	}
	u := flagReader{c: c}
	r := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{
			Limit: u.size("memory"), Reservation: u.size("memory-reservation"), Swap: u.size("memory-swap"),
		},
		CPU: &specs.LinuxCPU{
			Shares: u.unsigned("cpu-share"), Quota: u.signed("cpu-quota"), Period: u.unsigned("cpu-period"),
			Burst: u.unsigned("cpu-burst"), RealtimePeriod: u.unsigned("cpu-rt-period"),
			RealtimeRuntime: u.signed("cpu-rt-runtime"), Idle: u.signed("cpu-idle"),
			Cpus: c.String("cpuset-cpus"), Mems: c.String("cpuset-mems"),
		},
	}
	if u.err != nil {
		return nil, u.err
	}
	if c.IsSet("kernel-memory") || c.IsSet("kernel-memory-tcp") {
		rt.Log.Warn("Kernel memory settings are ignored and will be removed")
	}
	if w := c.Int("blkio-weight"); w != 0 {
		if w < 0 || w > 1000 {
			return nil, fmt.Errorf("invalid --blkio-weight %d: want 10 to 1000", w)
		}
		weight := uint16(w)
		r.BlockIO = &specs.LinuxBlockIO{Weight: &weight}
	}
	if c.IsSet("pids-limit") {
		n := int64(c.Int("pids-limit"))
		r.Pids = &specs.LinuxPids{Limit: &n}
	}
	if *r.Memory == (specs.LinuxMemory{}) {
		r.Memory = nil
	}
	if reflect.ValueOf(*r.CPU).IsZero() {
		r.CPU = nil
	}
	return r, nil
}

// flagReader parses update's numeric flags; the first error sticks.
type flagReader struct {
	c   *cli.Context
	err error
}

func (f *flagReader) value(name string) (string, bool) {
	if f.err != nil || !f.c.IsSet(name) {
		return "", false
	}
	return f.c.String(name), true
}

// size reads a byte count (64M, 1G, bytes) or -1 for unlimited.
func (f *flagReader) size(name string) *int64 {
	v, ok := f.value(name)
	if !ok {
		return nil
	}
	n := int64(-1)
	if v != "-1" {
		if n, f.err = spec.ParseSize(v); f.err != nil {
			f.err = fmt.Errorf("--%s: %w", name, f.err)
			return nil
		}
	}
	return &n
}

func (f *flagReader) signed(name string) *int64 {
	return whole(f, name, func(v string) (int64, error) { return strconv.ParseInt(v, 10, 64) }, "")
}

func (f *flagReader) unsigned(name string) *uint64 {
	return whole(f, name, func(v string) (uint64, error) { return strconv.ParseUint(v, 10, 64) }, ", not negative")
}

// whole reads flag name as a whole number with parse; what follows "want a whole number" in its
// error.
func whole[T int64 | uint64](f *flagReader, name string, parse func(string) (T, error), what string) *T {
	v, ok := f.value(name)
	if !ok {
		return nil
	}
	n, err := parse(v)
	if err != nil {
		f.err = fmt.Errorf("invalid --%s %q: want a whole number%s", name, v, what)
		return nil
	}
	return &n
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
