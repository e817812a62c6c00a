// Package cdp drives a headless Chromium from Go tests through the Chrome DevTools protocol:
// it starts the browser, opens a page and speaks JSON-RPC over the page's websocket (with the
// small client in websocket.go). Only what browser tests need: navigate, evaluate JavaScript,
// wait for a condition on the DOM, take a screenshot.
package cdp

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Find returns the Chromium binary: $CHROMIUM, or the first of Debian's and upstream's names on
// PATH.
func Find() (string, error) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium on PATH (Debian: apt-get install chromium)")
}

// Browser is a headless Chromium with a profile of its own.
type Browser struct {
	cmd    *exec.Cmd
	dir    string
	host   string // 127.0.0.1:port of the DevTools endpoint
	stderr *tailBuffer
	done   chan struct{}
}

// Launch starts Chromium headless with a window of width×height CSS pixels. Close ends it and
// every process it started (it runs in a process group of its own) and removes its profile.
func Launch(path string, width, height int) (*Browser, error) {
	dir, err := os.MkdirTemp("", "contain-chromium-")
	if err != nil {
		return nil, err
	}
	b := &Browser{dir: dir, stderr: &tailBuffer{max: 8 << 10}, done: make(chan struct{})}
	b.cmd = exec.Command(path,
		"--headless", "--no-sandbox", // root cannot use Chromium's sandbox
		"--disable-gpu", "--hide-scrollbars", "--mute-audio", "--no-first-run",
		"--no-default-browser-check", "--disable-extensions", "--disable-sync",
		"--disable-background-networking", "--disable-component-update", "--force-color-profile=srgb",
		"--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
		"--user-data-dir="+dir, fmt.Sprintf("--window-size=%d,%d", width, height), "about:blank")
	b.cmd.Stdout, b.cmd.Stderr = b.stderr, b.stderr
	b.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := b.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start chromium: %w", err)
	}
	go func() { b.cmd.Wait(); close(b.done) }()
	// Chromium writes the port it picked to DevToolsActivePort in its profile.
	deadline := time.Now().Add(60 * time.Second)
	for {
		data, err := os.ReadFile(filepath.Join(dir, "DevToolsActivePort"))
		if err == nil {
			if port, _, ok := strings.Cut(string(data), "\n"); ok && port != "" {
				b.host = "127.0.0.1:" + port
				return b, nil
			}
		}
		select {
		case <-b.done:
			b.Close()
			return nil, fmt.Errorf("chromium exited at start: %s", b.stderr)
		default:
		}
		if time.Now().After(deadline) {
			b.Close()
			return nil, fmt.Errorf("chromium did not open its DevTools port within 60s: %s", b.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Close ends the browser's process group and removes its profile.
func (b *Browser) Close() {
	if b.cmd.Process != nil {
		_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-b.done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL)
			<-b.done
		}
		// Children that outlived the leader are still in its group.
		_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL)
	}
	os.RemoveAll(b.dir)
}

// Log is the tail of the browser's own output, for failure messages.
func (b *Browser) Log() string { return b.stderr.String() }

// NewPage opens a tab and connects to it.
func (b *Browser) NewPage() (*Page, error) {
	req, _ := http.NewRequest(http.MethodPut, "http://"+b.host+"/json/new?about:blank", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("open tab: %w", err)
	}
	defer res.Body.Close()
	var target struct {
		WebSocketDebuggerURL string `json:"webSocketDebuggerUrl"`
	}
	if err := json.NewDecoder(res.Body).Decode(&target); err != nil || target.WebSocketDebuggerURL == "" {
		return nil, fmt.Errorf("open tab: %s: no websocket (%v)", res.Status, err)
	}
	ws, err := dialWS(target.WebSocketDebuggerURL)
	if err != nil {
		return nil, err
	}
	p := &Page{ws: ws, pending: map[int64]chan reply{}, closed: make(chan struct{})}
	go p.readLoop()
	return p, nil
}

// Page is one tab.
type Page struct {
	ws      *wsConn
	mu      sync.Mutex
	next    int64
	pending map[int64]chan reply
	closed  chan struct{}
	err     error
}

type reply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (p *Page) readLoop() {
	defer close(p.closed)
	for {
		msg, err := p.ws.ReadMessage()
		if err != nil {
			p.mu.Lock()
			p.err = err
			p.mu.Unlock()
			return
		}
		var m struct {
			ID int64 `json:"id"`
			reply
		}
		if json.Unmarshal(msg, &m) != nil || m.ID == 0 {
			continue // an event: nothing here subscribes to any
		}
		p.mu.Lock()
		ch := p.pending[m.ID]
		delete(p.pending, m.ID)
		p.mu.Unlock()
		if ch != nil {
			ch <- m.reply
		}
	}
}

// Call sends one protocol command and decodes its result into out (if not nil).
func (p *Page) Call(ctx context.Context, method string, params, out any) error {
	p.mu.Lock()
	p.next++
	id := p.next
	ch := make(chan reply, 1)
	p.pending[id] = ch
	p.mu.Unlock()
	msg, err := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err != nil {
		return err
	}
	if err := p.ws.WriteText(msg); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case r := <-ch:
		if r.Error != nil {
			return fmt.Errorf("%s: %s (%d)", method, r.Error.Message, r.Error.Code)
		}
		if out != nil {
			return json.Unmarshal(r.Result, out)
		}
		return nil
	case <-p.closed:
		return fmt.Errorf("%s: connection closed: %v", method, p.err)
	case <-ctx.Done():
		p.mu.Lock()
		delete(p.pending, id)
		p.mu.Unlock()
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// Navigate loads url and waits for its load event (document.readyState complete).
func (p *Page) Navigate(ctx context.Context, url string) error {
	var r struct {
		ErrorText string `json:"errorText"`
	}
	if err := p.Call(ctx, "Page.navigate", map[string]any{"url": url}, &r); err != nil {
		return err
	}
	if r.ErrorText != "" {
		return fmt.Errorf("navigate to %s: %s", url, r.ErrorText)
	}
	return p.WaitFor(ctx, `document.readyState === "complete"`)
}

// Eval evaluates a JavaScript expression in the page (awaiting a promise) and decodes its value
// into out (if not nil). A thrown exception is an error.
func (p *Page) Eval(ctx context.Context, expr string, out any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	err := p.Call(ctx, "Runtime.evaluate", map[string]any{
		"expression": expr, "returnByValue": true, "awaitPromise": true,
	}, &r)
	if err != nil {
		return err
	}
	if r.Exception != nil {
		return fmt.Errorf("javascript: %s %s", r.Exception.Text, r.Exception.Exception.Description)
	}
	if out != nil && len(r.Result.Value) > 0 {
		return json.Unmarshal(r.Result.Value, out)
	}
	return nil
}

// WaitFor evaluates expr every 100ms until it is truthy or ctx ends.
func (p *Page) WaitFor(ctx context.Context, expr string) error {
	var last error
	for {
		var ok bool
		err := p.Eval(ctx, "!!("+expr+")", &ok)
		if err == nil && ok {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("wait for %s: %w (last error: %v)", expr, ctx.Err(), last)
			}
			return fmt.Errorf("wait for %s: %w", expr, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Screenshot saves the viewport as a PNG.
func (p *Page) Screenshot(ctx context.Context, path string) error {
	var r struct {
		Data string `json:"data"`
	}
	if err := p.Call(ctx, "Page.captureScreenshot", map[string]any{"format": "png"}, &r); err != nil {
		return err
	}
	b, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// Close disconnects from the tab.
func (p *Page) Close() { p.ws.Close() }

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   bytes.Buffer
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b.Write(p)
	if over := t.b.Len() - t.max; over > 0 {
		t.b.Next(over)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.b.String()
}
