//go:build linux

package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/contain-runtime/contain/tests/cdp"
)

// TestServePage drives the page at / in headless Chromium (Debian's chromium, installed by
// tests/deps.sh) through the DevTools protocol: it sees a running container with its usage,
// browses the sandboxes, opens the container's stdout and sees new output arrive. Assertions
// are on the DOM; the screenshot (build/serve-page.png) is for people.
func TestServePage(t *testing.T) {
	w := newWDRunner(t)
	containOnly(t, "serve is contain's own command")
	chromium, err := cdp.Find()
	if err != nil {
		t.Skipf("browser test needs Chromium: %v (tests/deps.sh installs Debian's chromium; it could not here)", err)
	}

	ticker := w.newContainer(compose(
		annotate("io.contain.stdio", "sandbox"),
		args("sh", "-c", `i=0; while true; do echo "tick $i"; [ $((i % 4)) = 0 ] && echo "note: $i ticks" >&2; i=$((i+1)); sleep 0.3; done`),
		withResources(256<<20, 50000, 100000, 128)))
	w.must("run", "-d", "--bundle", ticker.bundle, ticker.id)
	// A second one with the disk isolator and a file to download, for a page with more in it.
	worker := w.newContainer(compose(
		annotate("io.contain.stdio", "sandbox", "io.contain.volumes", "cache:/tmp", "io.contain.disk.limit", "64M", "io.contain.disk.interval", isoInterval.String()),
		args("sh", "-c", `head -c 3000000 /dev/urandom > /tmp/data.bin; echo "worker ready"; exec sleep 1000`),
		withResources(64<<20, 100000, 100000, 32)))
	w.must("run", "-d", "--bundle", worker.bundle, worker.id)
	s := w.startServe()

	b, err := cdp.Launch(chromium, 1400, 900)
	if err != nil {
		t.Fatalf("launch %s: %v", chromium, err)
	}
	defer b.Close()
	p, err := b.NewPage()
	if err != nil {
		t.Fatalf("%v\n%s", err, b.Log())
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%v\nbrowser log:\n%s", err, b.Log())
		}
	}
	text := func(js string) string {
		t.Helper()
		var s string
		must(p.Eval(ctx, js, &s))
		return s
	}
	row := fmt.Sprintf(`document.querySelector('#containers tr.container[data-id=%q]')`, ticker.id)

	must(p.Navigate(ctx, s.base+"/"))
	// The containers, with status and usage from statistics.json.
	must(p.WaitFor(ctx, row+` && `+row+`.dataset.status === "running"`))
	must(p.WaitFor(ctx, fmt.Sprintf(`document.querySelector('#containers tr.container[data-id=%q]')`, worker.id)))
	if mem := text(row + `.querySelector("td.mem").textContent`); !regexp.MustCompile(`[\d.]+ (KiB|MiB)of 256 MiB`).MatchString(mem) {
		t.Errorf("memory cell %q, want usage of 256 MiB", mem)
	}
	if st := text(row + `.querySelector("td.status").textContent`); st != "running" {
		t.Errorf("status cell %q", st)
	}

	// The file browser: from /containers down into a sandbox.
	// The page opened the first container's sandbox; its breadcrumbs lead back up.
	must(p.WaitFor(ctx, `[...document.querySelectorAll("#crumbs a")].some(a => a.textContent === "containers")`))
	must(p.Eval(ctx, `[...document.querySelectorAll("#crumbs a")].find(a => a.textContent === "containers").click()`, nil))
	must(p.WaitFor(ctx, fmt.Sprintf(`document.querySelector('#entries tr[data-path="/containers/%s"][data-kind="dir"]')`, ticker.id)))
	must(p.Eval(ctx, fmt.Sprintf(`document.querySelector('#entries tr[data-path="/containers/%s"] a').click()`, worker.id), nil))
	must(p.WaitFor(ctx, fmt.Sprintf(`document.querySelector('#entries tr[data-path="/containers/%s/latest"]')`, worker.id)))
	must(p.Eval(ctx, fmt.Sprintf(`document.querySelector('#entries tr[data-path="/containers/%s/latest"] a').click()`, worker.id), nil))
	cache := fmt.Sprintf("/containers/%s/latest/cache", worker.id)
	must(p.WaitFor(ctx, fmt.Sprintf(`document.querySelector('#entries tr[data-path=%q]')`, cache)))
	must(p.Eval(ctx, fmt.Sprintf(`document.querySelector('#entries tr[data-path=%q] a').click()`, cache), nil))
	must(p.WaitFor(ctx, fmt.Sprintf(`document.querySelector('#entries tr[data-path=%q]')`, cache+"/data.bin")))
	if size := text(fmt.Sprintf(`document.querySelector('#entries tr[data-path=%q] td.num').textContent`, cache+"/data.bin")); size != "2.9 MiB" {
		t.Errorf("data.bin size shown as %q, want 2.9 MiB", size)
	}
	// Its download link serves the file.
	var got struct {
		Status int `json:"status"`
		Size   int `json:"size"`
	}
	must(p.Eval(ctx, fmt.Sprintf(`fetch(document.querySelector('#entries tr[data-path=%q] a[href*="files/download"]').href)
		.then(async r => ({status: r.status, size: (await r.arrayBuffer()).byteLength}))`, cache+"/data.bin"), &got))
	if got.Status != 200 || got.Size != 3000000 {
		t.Errorf("download link: %+v, want 200 and 3000000 bytes", got)
	}

	// Select the ticking container: its sandbox opens and its stdout is tailed. The viewer's
	// data-opened changes with each file opened, so the text read below is this opening's.
	opened := text(`document.querySelector("#viewer-output").dataset.opened || ""`)
	must(p.Eval(ctx, row+`.click()`, nil))
	must(p.WaitFor(ctx, fmt.Sprintf(`document.querySelector("#viewer-output").dataset.opened !== %q`, opened)))
	must(p.WaitFor(ctx, fmt.Sprintf(`document.querySelector("#viewer-path").textContent === %q`,
		fmt.Sprintf("/containers/%s/runs/%s/stdout", ticker.id, filepath.Base(w.sandboxOf(ticker.id))))))
	must(p.WaitFor(ctx, `/tick \d+/.test(document.querySelector("#viewer-output").textContent)`))
	last := func() int {
		out := text(`document.querySelector("#viewer-output").textContent`)
		m := regexp.MustCompile(`tick (\d+)`).FindAllStringSubmatch(out, -1)
		if len(m) == 0 {
			t.Fatalf("no tick in the viewer: %.300q (viewing %s)", out, text(`document.querySelector("#viewer-path").textContent`))
		}
		n, _ := strconv.Atoi(m[len(m)-1][1])
		return n
	}
	first := last()
	// New lines appear without a reload: the page reads on from its offset.
	must(p.WaitFor(ctx, fmt.Sprintf(`document.querySelector("#viewer-output").textContent.includes("tick %d\n")`, first+4)))
	// The file from its start, each line once, in order: offsets advance by what was read.
	out := text(`document.querySelector("#viewer-output").textContent`)
	for i, m := range regexp.MustCompile(`(?m)^tick (\d+)$`).FindAllStringSubmatch(out, -1) {
		if m[1] != strconv.Itoa(i) {
			t.Fatalf("viewer line %d is %q, want tick %d: %.300q", i, m[0], i, out)
		}
	}
	if sel := text(`document.querySelector("#viewer-tabs [aria-selected=true]").textContent`); sel != "stdout" {
		t.Errorf("selected tab %q", sel)
	}
	must(p.WaitFor(ctx, `document.querySelector("#live").dataset.state === "live"`))
	time.Sleep(2500 * time.Millisecond) // a second statistics refresh, so CPU shows a rate
	shot := filepath.Join(buildDir(), "serve-page.png")
	must(p.Screenshot(ctx, shot))
	t.Logf("screenshot: %s", shot)
}
