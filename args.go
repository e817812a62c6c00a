package main

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// keepArgOrder names the commands whose arguments after the container id belong to something
// else (the command exec runs, ps's own options), so flags there must stay where they are. runc
// marks the same two with SkipArgReorder.
var keepArgOrder = map[string]bool{"exec": true, "ps": true, "init": true}

// reorderArgs lets a command's flags follow its positional arguments, as runc's command line
// allows (`update ID --memory 64M`, `delete ID --force`): urfave/cli v2 stops parsing flags at
// the first positional one. The command's own flags, with their values, move in front of its
// positional arguments; everything after "--" stays as it is. Quick mode (`run --rootfs`) is
// left alone: what follows its id is the command to run.
func reorderArgs(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	cmd, i := commandOf(app, args)
	if cmd == nil || keepArgOrder[cmd.Name] || cmd.SkipFlagParsing {
		return args
	}
	rest := args[i+1:]
	if cmd.Name == "run" {
		for _, a := range rest {
			if a == "--rootfs" || strings.HasPrefix(a, "--rootfs=") {
				return args
			}
		}
	}
	var flags, positional []string
	for j := 0; j < len(rest); j++ {
		a := rest[j]
		if a == "--" {
			positional = append(positional, rest[j:]...)
			break
		}
		f, known := lookupFlag(cmd.Flags, a)
		if !known {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		if takesValue(f, a) && j+1 < len(rest) {
			j++
			flags = append(flags, rest[j])
		}
	}
	out := append([]string(nil), args[:i+1]...)
	out = append(out, flags...)
	return append(out, positional...)
}

// skipFlags returns the index of the first argument from i on that is not one of flags (or the
// value of one).
func skipFlags(flags []cli.Flag, args []string, i int) int {
	for i < len(args) {
		a := args[i]
		if a == "--" || !strings.HasPrefix(a, "-") || a == "-" {
			return i
		}
		f, _ := lookupFlag(flags, a)
		if takesValue(f, a) {
			i++
		}
		i++
	}
	return i
}

// lookupFlag finds the flag an argument names ("-a", "--all", "--memory=64M"); -h and --help
// count as flags of every command.
func lookupFlag(flags []cli.Flag, arg string) (cli.Flag, bool) {
	if arg == "-" || !strings.HasPrefix(arg, "-") {
		return nil, false
	}
	name := strings.TrimLeft(arg, "-")
	name, _, _ = strings.Cut(name, "=")
	if name == "h" || name == "help" {
		return cli.HelpFlag, true
	}
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return f, true
			}
		}
	}
	return nil, false
}

// takesValue: the flag reads the next argument as its value (not a boolean, no "=" given).
func takesValue(f cli.Flag, arg string) bool {
	if f == nil || strings.Contains(arg, "=") {
		return false
	}
	d, ok := f.(cli.DocGenerationFlag) // TakesValue: false for booleans (fixFlagNames keeps it)
	return !ok || d.TakesValue()
}

// commandOf is the command args run (nil if none) and its index in args, past the global flags.
func commandOf(app *cli.App, args []string) (*cli.Command, int) {
	if len(args) < 2 {
		return nil, 0
	}
	i := skipFlags(app.Flags, args, 1)
	if i >= len(args) {
		return nil, i
	}
	return findCommand(app, args[i]), i
}

func findCommand(app *cli.App, name string) *cli.Command {
	for _, c := range app.Commands {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}
