package server

import (
	"fmt"
	"mime"
	"net/http"
	"path"
	"strconv"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/sandbox/files"
)

// withPath passes a handler the path parameter, answering 400 when there is none.
func withPath(h func(http.ResponseWriter, *http.Request, string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := trimPath(r)
		if err != nil {
			writeError(w, statusOf(err), err)
			return
		}
		h(w, r, p)
	}
}

// browse is GET /files/browse?path=P.
func (s *Server) browse(w http.ResponseWriter, r *http.Request, p string) {
	l, err := s.c.Tree.Browse(p)
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	if l.Truncated {
		w.Header().Set("X-Contain-Truncated", strconv.Itoa(files.MaxEntries))
	}
	writeJSON(w, l.Entries)
}

// readAnswer is /files/read's body: Mesos' data and offset, plus length, the number of the
// file's bytes data covers. JSON strings are text, so bytes that are not UTF-8 arrive as
// U+FFFD; a client that pages on must add length, not the size of data, to offset.
type readAnswer struct {
	Data   string `json:"data"`
	Offset int64  `json:"offset"`
	Length int    `json:"length"`
}

// read is GET /files/read?path=P&offset=N&length=M.
func (s *Server) read(w http.ResponseWriter, r *http.Request, p string) {
	q := r.URL.Query()
	offset, err := intParam(q.Get("offset"), 0)
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("offset: %w", err))
		return
	}
	length, err := intParam(q.Get("length"), files.MaxRead)
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("length: %w", err))
		return
	}
	c, err := s.c.Tree.Read(p, offset, length)
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	data := completeRunes(c.Data)
	writeJSON(w, readAnswer{Data: string(data), Offset: c.Offset, Length: len(data)})
}

// completeRunes drops a multi-byte character cut in half at the end of a chunk, so the next
// read (at offset+length) starts at its first byte and the client sees it whole. A chunk that
// is nothing but such a fragment is returned as is: a one-byte read must still advance.
func completeRunes(b []byte) []byte {
	for i := 1; i <= utf8.UTFMax-1 && i <= len(b); i++ {
		c := b[len(b)-i]
		if c < utf8.RuneSelf {
			return b // ASCII: nothing is cut
		}
		if utf8.RuneStart(c) {
			if !utf8.FullRune(b[len(b)-i:]) && len(b) > i {
				return b[:len(b)-i]
			}
			return b
		}
	}
	return b
}

func intParam(s string, def int64) (int64, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer", s)
	}
	return n, nil
}

// download is GET /files/download?path=P: the file's bytes, with Range and conditional
// requests handled by net/http.
func (s *Server) download(w http.ResponseWriter, r *http.Request, p string) {
	f, err := s.c.Tree.Open(p)
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	name := path.Base(p)
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", time.Unix(st.Mtim.Sec, st.Mtim.Nsec), f)
}

// debug is GET /files/debug.
func (s *Server) debug(w http.ResponseWriter, r *http.Request) {
	m, err := s.c.Tree.Debug()
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, m)
}
