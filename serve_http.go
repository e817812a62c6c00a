//go:build !noserve

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain"
	"github.com/contain-runtime/contain/libcontain/sandbox/files"
	"github.com/contain-runtime/contain/libcontain/sandbox/gc"
	"github.com/contain-runtime/contain/libcontain/sandbox/server"
)

// serveAction is `contain serve` in the build with the sandbox server: contain-serve, or a
// plain `go build` (see serve_exec.go).
var serveAction = action(func(c *cli.Context, rt *libcontain.Runtime) error {
	if err := checkArgs(c, 0, exactArgs); err != nil {
		return err
	}
	if c.Int("max-requests") <= 0 || c.Duration("request-timeout") <= 0 || c.Duration("gc-interval") < 0 {
		return errors.New("--max-requests and --request-timeout must be positive, --gc-interval not negative")
	}
	wd, err := filepath.Abs(workDir(c))
	if err != nil {
		return err
	}
	token, err := readToken(c.String("token-file"))
	if err != nil {
		return err
	}
	var collect *gc.Config
	if c.Duration("gc-interval") > 0 {
		g := gcConfig(c, rt, "gc-", false)
		if err := g.Check(); err != nil {
			return err
		}
		collect = &g
	}
	tree, err := files.New(wd)
	if err != nil {
		return err
	}
	srv, err := server.New(server.Config{
		Tree: tree, Token: token, Log: rt.Log,
		Statistics:  server.RuntimeStatistics(rt, wd, time.Now),
		MaxInFlight: c.Int("max-requests"), RequestTimeout: c.Duration("request-timeout"),
	})
	if err != nil {
		return err
	}
	l, err := server.Listen(c.String("listen"), token, c.String("tls-cert"), c.String("tls-key"))
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), unix.SIGTERM, unix.SIGINT)
	defer stop()
	scheme, auth := "http", ""
	if c.String("tls-cert") != "" {
		scheme = "https"
	}
	if token != "" {
		auth = " (bearer token required)"
	}
	fmt.Fprintf(c.App.ErrWriter, "[contain] serving %s on %s://%s/%s\n", wd, scheme, l.Addr(), auth)
	collected := make(chan struct{})
	if collect != nil {
		go func() {
			defer close(collected)
			collectEvery(ctx, rt, *collect, c.Duration("gc-interval"))
		}()
	} else {
		close(collected)
	}
	err = srv.Serve(ctx, l)
	<-collected // a collection under way finishes, and logs what it removed
	fmt.Fprintln(c.App.ErrWriter, "[contain] stopped")
	return err
})

// readToken reads the bearer token: the file's content without surrounding white space.
func readToken(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read token file: %w", err)
	}
	t := strings.TrimSpace(string(b))
	if t == "" || strings.ContainsAny(t, " \t\r\n") {
		return "", fmt.Errorf("token file %s must hold one token (non-empty, no white space)", path)
	}
	return t, nil
}

// collectEvery runs a collection every interval until ctx ends; removals and failures go to the
// log, where a server's output goes.
func collectEvery(ctx context.Context, rt *libcontain.Runtime, cfg gc.Config, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		res, err := gc.Collect(cfg, func(r gc.Removal) { reportRemoval(nil, rt.Log, r, false) })
		if err != nil {
			rt.Log.Warn("gc: " + err.Error())
			continue
		}
		for _, e := range res.Errors {
			rt.Log.Warn("gc: " + e.Error())
		}
	}
}
