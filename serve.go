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

var serveCommand = &cli.Command{
	Name:  "serve",
	Usage: "serve the sandboxes over HTTP (Mesos' /files API, statistics, a browser page)",
	Description: `Serves the work dir's sandboxes read-only: /files/browse, /files/read, /files/download and
/files/debug under the virtual paths /containers/<id>/latest/... and /containers/<id>/runs/<run>/...,
/monitor/statistics.json for the containers under --root, and a page at / to watch them.
It listens on loopback unless told otherwise; any other address needs --token-file, whose
token clients send as "Authorization: Bearer <token>". SIGTERM or SIGINT stops it gracefully.`,
	Flags: append([]cli.Flag{
		workDirFlag,
		&cli.StringFlag{Name: "listen", Value: "127.0.0.1:5051", Usage: "address to listen on (host:port; a port of 0 picks a free one)"},
		&cli.StringFlag{Name: "token-file", Usage: "file holding the bearer token clients must send (required off loopback)"},
		&cli.StringFlag{Name: "tls-cert", Usage: "PEM certificate: serve HTTPS (with --tls-key)"},
		&cli.StringFlag{Name: "tls-key", Usage: "PEM private key of --tls-cert"},
		&cli.IntFlag{Name: "max-requests", Value: server.DefaultMaxInFlight, Usage: "requests handled at once; more wait for a slot (503 at their timeout)"},
		&cli.DurationFlag{Name: "request-timeout", Value: server.DefaultRequestTimeout, Usage: "time each request has to finish, a download's transfer included"},
		&cli.DurationFlag{Name: "gc-interval", Usage: "collect old sandboxes this often, as contain gc does (0: never)"},
	}, gcFlags("gc-")...),
	Action: action(func(c *cli.Context, rt *libcontain.Runtime) error {
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
	}),
}

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
