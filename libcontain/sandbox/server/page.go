package server

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"path"
	"time"
)

// web holds the page: HTML, one script and one stylesheet, written to need no build step. The
// binary carries them; nothing is fetched at run time.
//
//go:embed web
var web embed.FS

// pageAssets maps the URL paths of the page to its files.
var pageAssets = map[string]string{
	"/":            "web/index.html",
	"/index.html":  "web/index.html",
	"/app.js":      "web/app.js",
	"/style.css":   "web/style.css",
	"/favicon.svg": "web/favicon.svg",
}

// pageCSP allows the page only its own files and its own API: no inline script or style, no
// framing (clickjacking), no other origin.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// pageHandler serves the page's files; any other path is a JSON 404.
func pageHandler() http.Handler {
	// Files in the binary never change while it runs: the start time is their mtime.
	started := time.Now()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := pageAssets[r.URL.Path]
		if !ok {
			writeError(w, http.StatusNotFound, fmt.Errorf("no endpoint %s", r.URL.Path))
			return
		}
		b, err := web.ReadFile(name)
		if err != nil {
			writeError(w, http.StatusInternalServerError, errors.New("page missing from the binary"))
			return
		}
		h := w.Header()
		ctype := mime.TypeByExtension(path.Ext(name))
		if path.Ext(name) == ".js" {
			ctype = "text/javascript; charset=utf-8" // some mime tables say application/javascript
		}
		h.Set("Content-Type", ctype)
		h.Set("Content-Security-Policy", pageCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		http.ServeContent(w, r, name, started, bytes.NewReader(b))
	})
}
