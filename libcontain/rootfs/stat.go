package rootfs

import (
	"io/fs"
	"syscall"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
)

// FileStat is a path's file info plus its owner.
type FileStat struct {
	fs.FileInfo
	Uid, Gid int
}

// StatInRoot stats path as the container would see it inside root: symlinks and ".." are
// resolved without ever leaving root, so the rootfs cannot point the caller at a host file.
func StatInRoot(root, path string) (*FileStat, error) {
	f, err := pathrs.OpenInRoot(root, path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	st := &FileStat{FileInfo: fi, Uid: -1, Gid: -1}
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		st.Uid, st.Gid = int(sys.Uid), int(sys.Gid)
	}
	return st, nil
}
