package cgfs

import (
	"errors"
	"io/fs"
)

// Reader reads the files of one statistics report: a file this kernel does not have reads as
// zero, and the first other error is kept (Err) while the rest are still read.
type Reader struct{ err error }

// Keep reports whether err is nil; it remembers the first error that is not fs.ErrNotExist.
func (r *Reader) Keep(err error) bool {
	if err == nil {
		return true
	}
	if !errors.Is(err, fs.ErrNotExist) && r.err == nil {
		r.err = err
	}
	return false
}

// Uint is ReadUint, 0 on an error.
func (r *Reader) Uint(dir, file string) uint64 {
	v, err := ReadUint(dir, file)
	if !r.Keep(err) {
		return 0
	}
	return v
}

// KeyValues is ReadKeyValues, nil on an error.
func (r *Reader) KeyValues(dir, file string) map[string]uint64 {
	v, err := ReadKeyValues(dir, file)
	if !r.Keep(err) {
		return nil
	}
	return v
}

// Err is the first error kept.
func (r *Reader) Err() error { return r.err }
