package main

import (
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// manDir holds the man pages: contain.8 and contain-COMMAND.8 for every visible command.
const manDir = "contrib/man"

// TestManPages is the man-page generator and its check in one: the pages in contrib/man must be
// exactly what the command table (newApp) renders to, so a flag added, removed or reworded
// without `make man` fails here (and so in CI). CONTAIN_UPDATE_MAN=1 rewrites them instead.
func TestManPages(t *testing.T) {
	want := manPages(newApp(io.Discard))
	if os.Getenv("CONTAIN_UPDATE_MAN") == "1" {
		writeManPages(t, want)
		return
	}
	have, err := filepath.Glob(filepath.Join(manDir, "*.8"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range have {
		if _, ok := want[filepath.Base(p)]; !ok {
			t.Errorf("%s documents no command of contain: remove it (make man)", p)
		}
	}
	for name, page := range want {
		got, err := os.ReadFile(filepath.Join(manDir, name))
		if err != nil {
			t.Errorf("no man page %s/%s: make man", manDir, name)
			continue
		}
		if string(got) != page {
			t.Errorf("%s/%s does not match the command's flags and usage: make man\n%s", manDir, name, firstDiff(string(got), page))
		}
	}
}

func writeManPages(t *testing.T, pages map[string]string) {
	t.Helper()
	old, _ := filepath.Glob(filepath.Join(manDir, "*.8"))
	for _, p := range old {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	for name, page := range pages {
		if err := os.WriteFile(filepath.Join(manDir, name), []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("wrote %d man pages to %s", len(pages), manDir)
}

// firstDiff shows the first differing line of two texts, for the failure message.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n  have: %q\n  want: %q", i+1, gl, wl)
		}
	}
	return ""
}

func TestManPagesRender(t *testing.T) {
	app := &cli.App{
		Name: "contain", Usage: "u",
		Flags: []cli.Flag{&cli.StringFlag{Name: "root", Value: "/run/x", Usage: `state \ dir`}},
		Commands: []*cli.Command{
			{Name: "kill", Usage: "send a signal", ArgsUsage: "<id> [signal]", Flags: []cli.Flag{
				&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: ".all processes"},
				&cli.BoolFlag{Name: "on", Value: true, Usage: "on by default"},
				&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "K=V", EnvVars: []string{"X_ENV"}},
			}},
			{Name: "secret", Hidden: true},
		},
	}
	pages := manPages(app)
	if got := slices.Sorted(maps.Keys(pages)); !slices.Equal(got, []string{"contain-kill.8", "contain.8"}) {
		t.Fatalf("pages %v: want the app's and the visible command's", got)
	}
	kill := pages["contain-kill.8"]
	for _, want := range []string{
		".TH CONTAIN\\-KILL 8",
		"contain\\-kill \\- send a signal\n",
		".B contain kill\n[\\fIoptions\\fR] <id> [signal]\n",
		".BR \\-\\-all \", \" \\-a\n\\&.all processes\n",
		".BR \\-\\-on\non by default (default: true)\n",
		".BR \\-\\-env \", \" \\-e \" \" \\fIvalue\\fR\nK=V (environment: X_ENV)\n",
		".BR contain (8)",
	} {
		if !strings.Contains(kill, want) {
			t.Errorf("contain-kill.8 lacks %q:\n%s", want, kill)
		}
	}
	top := pages["contain.8"]
	for _, want := range []string{
		".BR \\-\\-root \" \" \\fIvalue\\fR\nstate \\e dir (default: /run/x)\n",
		".BR contain\\-kill (8)\nsend a signal\n",
	} {
		if !strings.Contains(top, want) {
			t.Errorf("contain.8 lacks %q:\n%s", want, top)
		}
	}
	if strings.Contains(top, "secret") {
		t.Errorf("contain.8 lists a hidden command:\n%s", top)
	}
}

// manPages renders app as man(7) pages: the app's own page and one per visible command.
func manPages(app *cli.App) map[string]string {
	pages := map[string]string{}
	var top strings.Builder
	header(&top, app.Name, app.Usage)
	fmt.Fprintf(&top, ".SH SYNOPSIS\n.B %s\n[\\fIglobal options\\fR] \\fIcommand\\fR [\\fIoptions\\fR] [\\fIarguments\\fR]\n", app.Name)
	fmt.Fprintf(&top, ".SH DESCRIPTION\n%s is an OCI container runtime with runc's command line, state layout and error texts: containerd, podman and other clients drive it as they drive runc.\n", app.Name)
	top.WriteString(".SH GLOBAL OPTIONS\n")
	options(&top, app.Flags)
	top.WriteString(".SH COMMANDS\n")
	for _, c := range app.Commands {
		if c.Hidden {
			continue
		}
		fmt.Fprintf(&top, ".TP\n.BR %s (8)\n%s\n", roff(app.Name+"-"+c.Name), text(c.Usage))
		pages[app.Name+"-"+c.Name+".8"] = commandPage(app.Name, c)
	}
	pages[app.Name+".8"] = top.String()
	return pages
}

func commandPage(app string, c *cli.Command) string {
	var b strings.Builder
	header(&b, app+"-"+c.Name, c.Usage)
	fmt.Fprintf(&b, ".SH SYNOPSIS\n.B %s %s\n", app, c.Name)
	if len(c.Flags) > 0 {
		b.WriteString("[\\fIoptions\\fR]")
		if c.ArgsUsage != "" {
			b.WriteString(" ")
		}
	}
	b.WriteString(text(c.ArgsUsage) + "\n")
	desc := c.Description
	if desc == "" {
		desc = c.Usage
	}
	fmt.Fprintf(&b, ".SH DESCRIPTION\n%s\n", text(desc))
	if len(c.Flags) > 0 {
		b.WriteString(".SH OPTIONS\n")
		options(&b, c.Flags)
	}
	fmt.Fprintf(&b, ".SH SEE ALSO\n.BR %s (8)\n", app)
	return b.String()
}

func header(b *strings.Builder, name, usage string) {
	fmt.Fprintf(b, ".\\\" Generated from contain's command table by manpage_test.go (make man); do not edit.\n")
	fmt.Fprintf(b, ".TH %s 8 \"\" \"contain\" \"System Administration\"\n", roff(strings.ToUpper(name)))
	fmt.Fprintf(b, ".SH NAME\n%s \\- %s\n", roff(name), text(usage))
}

// options renders one .TP entry per visible flag: its names, a value placeholder when it takes
// one, the usage, the default and where else it can be set.
func options(b *strings.Builder, flags []cli.Flag) {
	for _, f := range flags {
		if v, ok := f.(cli.VisibleFlag); ok && !v.IsVisible() {
			continue
		}
		names := f.Names()
		parts := make([]string, len(names))
		for i, n := range names {
			dash := "--"
			if len(n) == 1 {
				dash = "-"
			}
			parts[i] = roff(dash + n)
		}
		line := ".BR " + strings.Join(parts, ` ", " `)
		var notes []string
		if d, ok := f.(cli.DocGenerationFlag); ok {
			if d.TakesValue() {
				line += ` " " \fIvalue\fR`
				if v := d.GetValue(); v != "" {
					notes = append(notes, "default: "+v)
				}
			} else if d.GetDefaultText() == "true" {
				notes = append(notes, "default: true")
			}
			if env := d.GetEnvVars(); len(env) > 0 {
				notes = append(notes, "environment: "+strings.Join(env, ", "))
			}
		}
		usage := ""
		if u, ok := f.(cli.DocGenerationFlag); ok {
			usage = u.GetUsage()
		}
		if len(notes) > 0 {
			usage += " (" + strings.Join(notes, "; ") + ")"
		}
		fmt.Fprintf(b, ".TP\n%s\n%s\n", line, text(usage))
	}
}

// roff escapes s for use inside a request line: backslashes, and hyphens (so that option names
// are not broken or rendered as typographic dashes).
func roff(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\e`), "-", `\-`)
}

// text escapes running text: backslashes, and a line that would start with a control character.
func text(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, `\`, `\e`), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, ".") || strings.HasPrefix(l, "'") {
			lines[i] = `\&` + l
		}
	}
	return strings.Join(lines, "\n")
}
