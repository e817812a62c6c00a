package main

import (
	"io"
	"slices"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestFixFlagNames: every flag keeps the names cli computes for it, and the command line still
// parses as before: a boolean takes no value, the others do (reorderArgs asks takesValue).
func TestFixFlagNames(t *testing.T) {
	app := newApp(io.Discard)
	for _, c := range app.Commands {
		fixFlagNames(app, []string{"contain", c.Name})
	}
	wrapped := 0
	check := func(fs []cli.Flag) {
		for _, f := range fs {
			var want []string
			switch w := f.(type) {
			case *boolFlag:
				want = w.BoolFlag.Names()
			case *stringFlag:
				want = w.StringFlag.Names()
			case *stringSliceFlag:
				want = w.StringSliceFlag.Names()
			case *intFlag:
				want = w.IntFlag.Names()
			case *durationFlag:
				want = w.DurationFlag.Names()
			case *float64Flag:
				want = w.Float64Flag.Names()
			default:
				if b, ok := f.(*cli.BoolFlag); ok && b.Hidden {
					continue
				}
				t.Errorf("flag %v (%T) not wrapped", f.Names(), f)
				continue
			}
			wrapped++
			if !slices.Equal(f.Names(), want) {
				t.Errorf("flag %v: names %v, want %v", want, f.Names(), want)
			}
		}
	}
	check(app.Flags)
	for _, c := range app.Commands {
		check(c.Flags)
	}
	if wrapped < 50 {
		t.Fatalf("only %d flags wrapped", wrapped)
	}
	got := reorderArgs(app, []string{"contain", "kill", "ctr", "--all", "KILL"})
	if want := []string{"contain", "kill", "--all", "ctr", "KILL"}; !slices.Equal(got, want) {
		t.Errorf("reorder of a boolean flag: %q, want %q", got, want)
	}
	got = reorderArgs(app, []string{"contain", "update", "ctr", "--memory", "64M"})
	if want := []string{"contain", "update", "--memory", "64M", "ctr"}; !slices.Equal(got, want) {
		t.Errorf("reorder of a flag with a value: %q, want %q", got, want)
	}
}
