package main

import (
	"time"

	"github.com/urfave/cli/v2"
)

// The sandbox server's defaults, as package server has them (serve_http_test.go checks): the
// command's flags are in every build, the server only in some (serve_exec.go).
const (
	serveMaxRequests    = 64
	serveRequestTimeout = 60 * time.Second
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
		&cli.IntFlag{Name: "max-requests", Value: serveMaxRequests, Usage: "requests handled at once; more wait for a slot (503 at their timeout)"},
		&cli.DurationFlag{Name: "request-timeout", Value: serveRequestTimeout, Usage: "time each request has to finish, a download's transfer included"},
		&cli.DurationFlag{Name: "gc-interval", Usage: "collect old sandboxes this often, as contain gc does (0: never)"},
	}, gcFlags("gc-")...),
	Action: serveAction,
}
