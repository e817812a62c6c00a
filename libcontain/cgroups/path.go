package cgroups

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// relPath returns where the container's cgroup lives relative to a hierarchy's mount point.
//
//   - An absolute cgroupsPath ("/default/<id>" from containerd, "/libpod_parent/libpod-<id>"
//     from podman) is taken from the mount point, as runc does.
//   - A relative cgroupsPath, or none (the leaf is then the container id), nests below the
//     runtime's own cgroup in that hierarchy (own, from /proc/self/cgroup; on v2 the caller
//     passes its parent, see unifiedBase), so a runtime started inside a delegated or limited
//     cgroup keeps its containers inside it. own is a path in the
//     hierarchy; mountRoot is the part of the hierarchy hidden above the mount point (mountinfo's
//     root field: "/" unless the mount is a bind of a sub-cgroup or in a cgroup namespace).
//
// A ".." that would climb out of the mount point or out of the runtime's own cgroup is refused:
// a spec must not be able to place (and later remove) a container's cgroup beside someone else's.
func relPath(cgroupsPath, id, own, mountRoot string) (string, error) {
	if strings.HasPrefix(cgroupsPath, "/") {
		p, err := cleanBelow(cgroupsPath)
		if err != nil {
			return "", fmt.Errorf("cgroupsPath %q: %w", cgroupsPath, err)
		}
		return "/" + p, nil
	}
	leaf := cgroupsPath
	if leaf == "" {
		if id == "" || strings.Contains(id, "/") || id == "." || id == ".." {
			return "", fmt.Errorf("container id %q cannot name a cgroup", id)
		}
		leaf = id
	}
	p, err := cleanBelow(leaf)
	if err != nil {
		return "", fmt.Errorf("cgroupsPath %q: %w", cgroupsPath, err)
	}
	if p == "" {
		return "", fmt.Errorf("cgroupsPath %q names the runtime's own cgroup", cgroupsPath)
	}
	base, err := belowRoot(own, mountRoot)
	if err != nil {
		return "", err
	}
	return path.Join(base, p), nil
}

// errNotVisible: the runtime's own cgroup lies outside what a mount shows.
var errNotVisible = errors.New("own cgroup is not visible in this mount")

// cleanBelow resolves "." and ".." in p lexically and fails if a ".." would climb above p's
// starting point. The result has no leading or trailing slash ("" for the starting point).
func cleanBelow(p string) (string, error) {
	var parts []string
	for _, c := range strings.Split(p, "/") {
		switch c {
		case "", ".":
		case "..":
			if len(parts) == 0 {
				return "", fmt.Errorf(`".." escapes the cgroup it is relative to`)
			}
			parts = parts[:len(parts)-1]
		default:
			parts = append(parts, c)
		}
	}
	return strings.Join(parts, "/"), nil
}

// belowRoot maps own (a path in the hierarchy) to a path below the mount point of a mount that
// shows the hierarchy from mountRoot down.
func belowRoot(own, mountRoot string) (string, error) {
	own = path.Clean("/" + own)
	mountRoot = path.Clean("/" + mountRoot)
	if mountRoot == "/" {
		return own, nil
	}
	if own == mountRoot {
		return "/", nil
	}
	if strings.HasPrefix(own, mountRoot+"/") {
		return own[len(mountRoot):], nil
	}
	return "", fmt.Errorf("own cgroup %s, mount of %s: %w", own, mountRoot, errNotVisible)
}
