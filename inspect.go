package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/contain-runtime/contain/libcontain"
	"github.com/contain-runtime/contain/libcontain/timerslack"
	"github.com/contain-runtime/contain/spec"
)

var listCommand = &cli.Command{
	Name: "list", Aliases: []string{"ls"}, Usage: "list containers",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: "table or json"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only ids"},
	},
	Action: action(func(c *cli.Context, rt *libcontain.Runtime) error {
		if err := checkArgs(c, 0, exactArgs); err != nil {
			return err
		}
		// A --root that was asked for must exist (runc's rule); the default one may be missing
		// before the first container.
		if c.IsSet("root") {
			if _, err := os.Stat(rt.Store.Root); err != nil {
				return err
			}
		}
		// --quiet prints ids whatever --format says (runc's order of checks).
		format := c.String("format")
		if format != "table" && format != "json" && !c.Bool("quiet") {
			return fmt.Errorf("invalid --format %q: want table or json", format)
		}
		asJSON := format == "json" && !c.Bool("quiet")
		// Only the JSON rows carry annotations, so only they need the OOM killer's verdict.
		list, err := libcontain.List(rt, libcontain.ListOptions{OOMVerdict: asJSON})
		if err != nil {
			return err
		}
		// One write for the whole listing, not one per id or per table cell (13 a row).
		out := bufio.NewWriter(c.App.Writer)
		owners := ownerNames{}
		switch {
		case c.Bool("quiet"):
			for _, in := range list {
				fmt.Fprintln(out, in.ID)
			}
			return out.Flush()
		case asJSON:
			return json.NewEncoder(c.App.Writer).Encode(listEntries(rt.Store.Root, list, owners))
		}
		w := tabwriter.NewWriter(out, 12, 1, 3, ' ', 0)
		fmt.Fprint(w, "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER\n")
		for _, in := range list {
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", in.ID, in.Pid, in.Status, in.Bundle,
				in.Created.Format(time.RFC3339Nano), owners.of(rt.Store.Root, in.ID))
		}
		if err := w.Flush(); err != nil {
			return err
		}
		return out.Flush()
	}),
}

// listEntry is one container of `list --format json`, with runc's fields in runc's order.
type listEntry struct {
	Version     string            `json:"ociVersion"`
	ID          string            `json:"id"`
	Pid         int               `json:"pid"`
	Status      string            `json:"status"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Created     time.Time         `json:"created"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Owner       string            `json:"owner"`
}

// listEntries converts the list; none at all is JSON null, as runc prints it.
func listEntries(root string, list []*libcontain.Info, owners ownerNames) []listEntry {
	var out []listEntry
	for _, in := range list {
		out = append(out, listEntry{
			Version: in.Version, ID: in.ID, Pid: in.Pid, Status: string(in.Status), Bundle: in.Bundle,
			Rootfs: in.Rootfs, Created: in.Created, Annotations: in.Annotations, Owner: owners.of(root, in.ID),
		})
	}
	return out
}

// ownerNames remembers the user name of each uid met in one listing: the lookup reads the user
// database, and a thousand containers usually have one owner.
type ownerNames map[uint32]string

// of is who owns the container's state dir: a user name, or "#uid" when the uid has none
// (runc's list column).
func (o ownerNames) of(root, id string) string {
	fi, err := os.Stat(filepath.Join(root, id))
	if err != nil {
		return ""
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	if name, ok := o[st.Uid]; ok {
		return name
	}
	uid := strconv.FormatUint(uint64(st.Uid), 10)
	name := "#" + uid
	if u, err := user.LookupId(uid); err == nil {
		name = u.Username
	}
	o[st.Uid] = name
	return name
}

var psCommand = &cli.Command{
	Name: "ps", Usage: "list the processes of a container", ArgsUsage: "<container-id> [ps options]",
	Flags: []cli.Flag{&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: "table or json"}},
	Action: action(func(c *cli.Context, rt *libcontain.Runtime) error {
		if err := checkArgs(c, 1, minArgs); err != nil {
			return err
		}
		ct, err := libcontain.Load(rt, c.Args().First())
		if err != nil {
			return err
		}
		pids, err := ct.Pids()
		if err != nil {
			return err
		}
		switch c.String("format") {
		case "json":
			// runc's shape: one compact line, null when there is no process.
			if len(pids) == 0 {
				pids = nil
			}
			return json.NewEncoder(c.App.Writer).Encode(pids)
		case "table":
		default:
			return fmt.Errorf("invalid --format %q: want table or json", c.String("format"))
		}
		psArgs := c.Args().Tail()
		if len(psArgs) == 0 {
			psArgs = []string{"-ef"}
		}
		return printPs(c, psArgs, pids)
	}),
}

// printPs runs the host's ps and keeps the header and the lines of the container's pids.
func printPs(c *cli.Context, args []string, pids []int) error {
	var out []byte
	err := timerslack.StartWith(timerslack.Caller(), func() (err error) {
		out, err = exec.Command("ps", args...).Output()
		return err
	})
	if err != nil {
		return fmt.Errorf("run ps: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	if !sc.Scan() {
		return nil
	}
	header := sc.Text()
	col := -1
	for i, f := range strings.Fields(header) {
		if f == "PID" {
			col = i
		}
	}
	if col < 0 {
		return fmt.Errorf("ps output has no PID column")
	}
	want := make(map[int]bool, len(pids))
	for _, p := range pids {
		want[p] = true
	}
	fmt.Fprintln(c.App.Writer, header)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) > col {
			if p, err := strconv.Atoi(f[col]); err == nil && want[p] {
				fmt.Fprintln(c.App.Writer, sc.Text())
			}
		}
	}
	return nil
}

var pauseCommand = &cli.Command{
	Name: "pause", Usage: "freeze every process of a container", ArgsUsage: "<container-id>",
	Action: withContainer(func(c *cli.Context, ct *libcontain.Container) error { return ct.Pause() }),
}

var resumeCommand = &cli.Command{
	Name: "resume", Usage: "thaw a paused container", ArgsUsage: "<container-id>",
	Action: withContainer(func(c *cli.Context, ct *libcontain.Container) error { return ct.Resume() }),
}

var specCommand = &cli.Command{
	Name: "spec", Usage: "write a default config.json into the bundle",
	Flags: []cli.Flag{bundleFlag,
		&cli.BoolFlag{Name: "rootless", Usage: "a config for an unprivileged user (user namespace mapping the caller to root)"}},
	Action: func(c *cli.Context) error {
		err := writeSpec(c.String("bundle")+"/config.json", c.Bool("rootless"))
		return exitWith(c, nil, err)
	},
}

func writeSpec(path string, rootless bool) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("file %s exists: remove it first", path)
	}
	s, err := spec.Default()
	if err != nil {
		return err
	}
	if rootless {
		spec.ToRootless(s, uint32(os.Geteuid()), uint32(os.Getegid()))
	}
	b, err := jsonIndent(s)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o666)
}

var featuresCommand = &cli.Command{
	Name: "features", Usage: "print what this runtime supports (OCI features JSON)",
	Action: func(c *cli.Context) error { return printJSON(c, libcontain.Features()) },
}

var monitorCommand = &cli.Command{
	Name: "monitor", Hidden: true, Usage: "run a container's disk and ports isolators (internal)",
	Flags: []cli.Flag{&cli.BoolFlag{Name: "guard", Usage: "watch the monitor instead: kill the container if it dies"}},
	Action: withContainer(func(c *cli.Context, ct *libcontain.Container) error {
		if c.Bool("guard") {
			return ct.Guard(context.Background())
		}
		return ct.Monitor(context.Background())
	}),
}
