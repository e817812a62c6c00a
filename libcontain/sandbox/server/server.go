// Package server is `contain serve`: Mesos' /files API and /monitor/statistics.json over a work
// dir's sandboxes, and a browser page at / served from embedded files.
//
//	GET /files/browse?path=P                   JSON list of P's entries (ls -l fields)
//	GET /files/read?path=P&offset=N&length=M   JSON {"data","offset"}; offset=-1: the size
//	GET /files/download?path=P                 the bytes, with Range support
//	GET /files/debug                           JSON map of virtual paths to real directories
//	GET /monitor/statistics.json               JSON list of running containers' statistics
//
// The server is read-only. Off loopback it requires a bearer token (Listen refuses to start
// without one); at most MaxInFlight requests run at once, and each has RequestTimeout to finish.
package server

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/contain-runtime/contain/libcontain/sandbox/files"
)

// Defaults for Config.
const (
	DefaultMaxInFlight    = 64
	DefaultRequestTimeout = 60 * time.Second
	// shutdownGrace is how long a SIGTERM waits for requests in flight before closing them.
	shutdownGrace = 30 * time.Second
	// writeGrace is how long after its deadline a request may still write its answer.
	writeGrace = 5 * time.Second
)

// Config is what a server serves and how.
type Config struct {
	Tree *files.Tree
	// Statistics lists the running containers' statistics; nil serves an empty list.
	Statistics func(context.Context) ([]ContainerStatistics, error)
	// Token, when not empty, must come with every API request as "Authorization: Bearer T".
	Token string
	// MaxInFlight bounds the requests handled at once; more wait for a slot until their
	// timeout, then get 503. 0 means DefaultMaxInFlight.
	MaxInFlight int
	// RequestTimeout bounds each request, a download's writing included. 0 means
	// DefaultRequestTimeout.
	RequestTimeout time.Duration
	Log            *slog.Logger
}

// Server is the HTTP handler of one Config.
type Server struct {
	c     Config
	slots chan struct{}
	mux   *http.ServeMux
}

// New checks c and builds the server.
func New(c Config) (*Server, error) {
	if c.Tree == nil {
		return nil, errors.New("server: no file tree")
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{c: c, slots: make(chan struct{}, c.MaxInFlight), mux: http.NewServeMux()}
	api := func(h http.HandlerFunc) http.Handler { return s.limited(s.authorized(h)) }
	s.mux.Handle("GET /files/browse", api(withPath(s.browse)))
	s.mux.Handle("GET /files/read", api(withPath(s.read)))
	s.mux.Handle("GET /files/download", api(withPath(s.download)))
	s.mux.Handle("GET /files/debug", api(s.debug))
	s.mux.Handle("GET /monitor/statistics.json", api(s.statistics))
	// The page holds no data (it fetches everything through the API with the token), so it is
	// served without one: a person can load it and then give the token.
	s.mux.Handle("GET /", s.limited(pageHandler()))
	return s, nil
}

// ServeHTTP answers one request. Anything not routed is a JSON 404 or 405.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern == "" {
		rec := &statusProbe{}
		h.ServeHTTP(rec, r) // learn whether the mux would say 404 or 405
		if rec.code == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, errors.New("method not allowed: the API is read-only"))
			return
		}
		writeError(w, http.StatusNotFound, fmt.Errorf("no endpoint %s", r.URL.Path))
		return
	}
	h.ServeHTTP(w, r)
}

// statusProbe records the status the mux's own error handler would write, and nothing else.
type statusProbe struct {
	code int
	h    http.Header
}

func (p *statusProbe) Header() http.Header {
	if p.h == nil {
		p.h = http.Header{}
	}
	return p.h
}
func (p *statusProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *statusProbe) WriteHeader(code int)        { p.code = code }

// limited runs h in one of MaxInFlight slots with the request timeout; a request that cannot
// get a slot before its timeout gets 503.
func (s *Server) limited(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		deadline := time.Now().Add(s.c.RequestTimeout)
		ctx, cancel := context.WithDeadline(r.Context(), deadline)
		defer cancel()
		select {
		case s.slots <- struct{}{}:
			defer func() { <-s.slots }()
		case <-ctx.Done():
			writeError(w, http.StatusServiceUnavailable, errors.New("server busy: no request slot within the request timeout"))
			return
		}
		// The write deadline ends a download a slow client drags past the timeout. It comes a
		// little after the handler's: a handler stopped by its deadline still answers why.
		_ = http.NewResponseController(w).SetWriteDeadline(deadline.Add(writeGrace))
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// authorized checks the bearer token, when there is one, in constant time.
func (s *Server) authorized(h http.HandlerFunc) http.HandlerFunc {
	if s.c.Token == "" {
		return h
	}
	want := []byte("Bearer " + s.c.Token)
	return func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="contain"`)
			writeError(w, http.StatusUnauthorized, errors.New("a bearer token is required (Authorization: Bearer <token>)"))
			return
		}
		h(w, r)
	}
}

// writeJSON writes v with status 200.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		// The status is sent; the client sees a truncated body.
		return
	}
}

// writeError writes {"error": msg} with status.
func writeError(w http.ResponseWriter, status int, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}

// statusOf maps a files error to its HTTP status.
func statusOf(err error) int {
	switch {
	case errors.Is(err, files.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, files.ErrOutside), errors.Is(err, files.ErrDenied):
		return http.StatusForbidden
	case errors.Is(err, files.ErrInvalid), errors.Is(err, files.ErrLoop),
		errors.Is(err, files.ErrNotRegular), errors.Is(err, files.ErrIsDir):
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// Listen opens the server's socket. Off loopback a token is required: the sandboxes hold the
// containers' output and files, and nothing else stands between them and the network. With a
// certificate and key the socket speaks TLS.
func Listen(addr, token, certFile, keyFile string) (net.Listener, error) {
	if (certFile == "") != (keyFile == "") {
		return nil, errors.New("--tls-cert and --tls-key go together")
	}
	var cfg *tls.Config
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("load TLS certificate: %w", err)
		}
		cfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	// Judged on the address really bound, not on the text: "localhost" or a name could
	// resolve anywhere, and ":5051" is every interface.
	if tcp, ok := l.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() && token == "" {
		l.Close()
		return nil, fmt.Errorf("listening on %s (not loopback) needs a bearer token: give --token-file", l.Addr())
	}
	if cfg != nil {
		l = tls.NewListener(l, cfg)
	}
	return l, nil
}

// Serve answers on l until ctx ends, then stops taking connections, lets the requests in
// flight finish (for up to 30s) and returns.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.c.RequestTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.c.Log.Handler(), slog.LevelDebug),
	}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(l) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err := hs.Shutdown(sctx)
	<-done
	if err != nil {
		hs.Close()
		return fmt.Errorf("shut down: %w", err)
	}
	return nil
}

// trimPath is the path query parameter; Mesos' clients send it absolute.
func trimPath(r *http.Request) (string, error) {
	p := r.URL.Query().Get("path")
	if p == "" {
		return "", fmt.Errorf("%w: the path parameter is required", files.ErrInvalid)
	}
	return strings.TrimSuffix(p, "/"), nil
}
