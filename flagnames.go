package main

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// urfave/cli v2's flag types compute their names on every Names() call, with a regular
// expression (cli.FlagNames), and cli calls Names() of every flag of a command once for each of
// its other flags on every run (runFlagActions -> Context.IsSet -> lookupFlag): about 900 regexp
// replacements for `run`, 0.3-0.5 ms of every command in a perf profile. fixFlagNames wraps each
// flag in a type whose Names() returns the list computed once (by flagNames); every other method, and so every
// optional interface cli checks for (TakesValue, IsRequired, IsVisible, RunAction...), is the
// wrapped flag's own. Hidden boolean flags stay as they are: cli's shell completion looks for
// *cli.BoolFlag to leave them out.

type boolFlag struct {
	*cli.BoolFlag
	names []string
}

type stringFlag struct {
	*cli.StringFlag
	names []string
}

type stringSliceFlag struct {
	*cli.StringSliceFlag
	names []string
}

type intFlag struct {
	*cli.IntFlag
	names []string
}

type durationFlag struct {
	*cli.DurationFlag
	names []string
}

type float64Flag struct {
	*cli.Float64Flag
	names []string
}

func (f *boolFlag) Names() []string        { return f.names }
func (f *stringFlag) Names() []string      { return f.names }
func (f *stringSliceFlag) Names() []string { return f.names }
func (f *intFlag) Names() []string         { return f.names }
func (f *durationFlag) Names() []string    { return f.names }
func (f *float64Flag) Names() []string     { return f.names }

// flagNames is cli.FlagNames without its regular expression (which cuts each name at the first
// comma or space, a v1 habit): 0.05 ms less for `run`. TestFixFlagNames compares the two for every
// flag.
func flagNames(name string, aliases []string) []string {
	names := make([]string, 0, 1+len(aliases))
	for _, n := range append([]string{name}, aliases...) {
		if i := strings.IndexAny(n, ", "); i >= 0 {
			n = n[:i]
		}
		names = append(names, n)
	}
	return names
}

// fixFlagNames wraps the global flags and those of the command args name (with its
// subcommands): wrapping computes each flag's names once, and the other commands' flags, which
// this run never looks at, would cost more than a small command (state) saves.
func fixFlagNames(app *cli.App, args []string) {
	fixFlags(app.Flags)
	var walk func([]*cli.Command)
	walk = func(cmds []*cli.Command) {
		for _, c := range cmds {
			fixFlags(c.Flags)
			walk(c.Subcommands)
		}
	}
	if c, _ := commandOf(app, args); c != nil {
		walk([]*cli.Command{c})
	}
}

func fixFlags(fs []cli.Flag) {
	for i, f := range fs {
		switch t := f.(type) {
		case *cli.BoolFlag:
			if !t.Hidden {
				fs[i] = &boolFlag{t, flagNames(t.Name, t.Aliases)}
			}
		case *cli.StringFlag:
			fs[i] = &stringFlag{t, flagNames(t.Name, t.Aliases)}
		case *cli.StringSliceFlag:
			fs[i] = &stringSliceFlag{t, flagNames(t.Name, t.Aliases)}
		case *cli.IntFlag:
			fs[i] = &intFlag{t, flagNames(t.Name, t.Aliases)}
		case *cli.DurationFlag:
			fs[i] = &durationFlag{t, flagNames(t.Name, t.Aliases)}
		case *cli.Float64Flag:
			fs[i] = &float64Flag{t, flagNames(t.Name, t.Aliases)}
		}
	}
}
