package main

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/contain-runtime/contain/libcontain"
	"github.com/contain-runtime/contain/libcontain/sandbox/gc"
)

func gcFlags(prefix string) []cli.Flag {
	return []cli.Flag{
		&cli.DurationFlag{Name: prefix + "delay", Value: gc.DefaultDelay, Usage: "keep a gone container's sandbox this long after its last change, on an empty disk"},
		&cli.Float64Flag{Name: prefix + "disk-headroom", Value: gc.DefaultHeadroom, Usage: "fraction of the disk to keep free: the allowed age is delay × max(0, 1 − headroom − disk usage)"},
	}
}

var gcCommand = &cli.Command{
	Name:  "gc",
	Usage: "remove the sandboxes of containers that no longer exist, as the disk fills",
	Description: `A run's sandbox (<work-dir>/containers/<id>/runs/<run>) goes once its container is gone
from --root and its last change is older than delay × max(0, 1 − headroom − disk usage), where
disk usage is the fraction of the work dir's filesystem in use (Mesos' formula). The sandbox a
container uses and the latest run of an existing id are never removed. Each removal is printed.`,
	Flags: append(gcFlags(""), workDirFlag, &cli.BoolFlag{Name: "dry-run", Usage: "print what would be removed; remove nothing"}),
	Action: action(func(c *cli.Context, rt *libcontain.Runtime) error {
		if err := checkArgs(c, 0, exactArgs); err != nil {
			return err
		}
		out := c.App.ErrWriter
		var log *slog.Logger
		if c.String("log") != "" {
			log = rt.Log // structured records go to --log; people read the [contain] lines
		}
		res, err := gc.Collect(gcConfig(c, rt, "", c.Bool("dry-run")), func(r gc.Removal) {
			reportRemoval(out, log, r, c.Bool("dry-run"))
		})
		if err != nil {
			return err
		}
		if res.Runs == 0 {
			fmt.Fprintf(out, "[contain] gc: no sandboxes under %s\n", workDir(c))
			return nil
		}
		verb := "removed"
		if c.Bool("dry-run") {
			verb = "would remove"
		}
		var bytes uint64
		for _, r := range res.Removed {
			bytes += r.Bytes
		}
		fmt.Fprintf(out, "[contain] gc: %s %d sandbox(es), %s; kept %d; disk %.0f%% used, so the age allowed is %s\n",
			verb, len(res.Removed), libcontain.HumanBytes(bytes), res.Kept, 100*res.DiskUsage, age(res.MaxAge))
		for _, e := range res.Errors {
			fmt.Fprintf(out, "[contain] gc: %v\n", e)
		}
		if len(res.Errors) > 0 {
			return fmt.Errorf("gc: %d sandbox(es) could not be collected", len(res.Errors))
		}
		return nil
	}),
}

// gcConfig builds a collection from the flags (prefix is "gc-" under serve).
func gcConfig(c *cli.Context, rt *libcontain.Runtime, prefix string, dryRun bool) gc.Config {
	wd, err := filepath.Abs(workDir(c))
	if err != nil {
		wd = workDir(c) // Check names the problem
	}
	return gc.Config{
		WorkDir: wd, Delay: c.Duration(prefix + "delay"), Headroom: c.Float64(prefix + "disk-headroom"),
		DryRun: dryRun, Containers: gc.StateContainers(rt),
	}
}

// reportRemoval prints one removal as a [contain] line and, when log is not nil, records it.
func reportRemoval(out io.Writer, log *slog.Logger, r gc.Removal, dryRun bool) {
	verb := "removed"
	if dryRun {
		verb = "would remove"
	}
	if out != nil {
		fmt.Fprintf(out, "[contain] gc: %s sandbox %s/runs/%s: last changed %s ago, %s\n", verb, r.ID, r.Run, age(r.Age), libcontain.HumanBytes(r.Bytes))
	}
	if log != nil {
		log.Info("gc: "+verb+" sandbox", "id", r.ID, "run", r.Run, "age", r.Age.Round(time.Second).String(), "bytes", r.Bytes, "dry_run", dryRun)
	}
}

// age renders a duration in days and hours for people: "6d7h", "3h12m", "40s".
func age(d time.Duration) string {
	switch {
	case d >= 24*time.Hour:
		return fmt.Sprintf("%dd%dh", d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
	case d >= time.Hour:
		return fmt.Sprintf("%dh%dm", d/time.Hour, d%time.Hour/time.Minute)
	}
	return d.Round(time.Second).String()
}

// workDirFlag lets serve and gc take --work-dir after their name, as well as before it.
var workDirFlag = &cli.StringFlag{Name: "work-dir", Usage: "directory of the sandboxes (default: the global --work-dir)"}

// workDir is the command's --work-dir when given, else the global one (flag, environment or
// default).
func workDir(c *cli.Context) string {
	if c.IsSet("work-dir") {
		return c.String("work-dir")
	}
	if l := c.Lineage(); len(l) > 1 {
		return l[1].String("work-dir")
	}
	return c.String("work-dir")
}
