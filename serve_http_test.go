//go:build !noserve

package main

import (
	"testing"

	"github.com/contain-runtime/contain/libcontain/sandbox/server"
)

// TestServeDefaults: the serve command's flag defaults are the server's own.
func TestServeDefaults(t *testing.T) {
	if serveMaxRequests != server.DefaultMaxInFlight || serveRequestTimeout != server.DefaultRequestTimeout {
		t.Errorf("serve's defaults %d, %v; the server's %d, %v", serveMaxRequests, serveRequestTimeout, server.DefaultMaxInFlight, server.DefaultRequestTimeout)
	}
}
