//go:build linux

package cri

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"time"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// There is no registry: both images are OCI image layouts built here, each with one
// uncompressed layer, and imported with `ctr -n k8s.io images import` as an operator would.
// busybox is the project's busybox rootfs; pause is pause/pause.c, built static.

// descriptor is an OCI content descriptor.
type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Platform    map[string]string `json:"platform,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

func (s *criSuite) importImages() error {
	pauseRoot := s.path("images", "pause-root")
	if err := os.MkdirAll(pauseRoot, 0o755); err != nil {
		return err
	}
	build := exec.Command("cc", "-static", "-Os", "-Wall", "-Werror", "-o", filepath.Join(pauseRoot, "pause"), "pause/pause.c")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build the pause program (needs gcc and libc6-dev): %w\n%s", err, out)
	}
	images := []struct {
		name, root string
		config     map[string]any
	}{
		{busyboxImage, s.cfg.rootfs, map[string]any{
			"Env": []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			"Cmd": []string{"/bin/sh"},
		}},
		{pauseImage, pauseRoot, map[string]any{"Entrypoint": []string{"/pause"}}},
	}
	for i, img := range images {
		layout := s.path("images", fmt.Sprintf("layout%d", i))
		if err := writeLayout(layout, img.name, img.root, img.config); err != nil {
			return fmt.Errorf("image %s: %w", img.name, err)
		}
		archive := layout + ".tar"
		if out, err := exec.Command("tar", "-C", layout, "-cf", archive, ".").CombinedOutput(); err != nil {
			return fmt.Errorf("archive image %s: %w\n%s", img.name, err, out)
		}
		imp := exec.Command("ctr", "--address", s.sock, "-n", criNamespace, "images", "import", archive)
		if out, err := imp.CombinedOutput(); err != nil {
			return fmt.Errorf("ctr images import %s: %w\n%s", img.name, err, out)
		}
		ctx, cancel := s.ctx()
		st, err := s.images.ImageStatus(ctx, &runtime.ImageStatusRequest{Image: &runtime.ImageSpec{Image: img.name}})
		cancel()
		if err != nil || st.Image == nil {
			return fmt.Errorf("image %s not visible to the CRI after import (err %v)", img.name, err)
		}
	}
	return nil
}

// writeLayout writes an OCI image layout in dir: one layer, the tar of root.
func writeLayout(dir, name, root string, config map[string]any) error {
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		return err
	}
	layerTar := filepath.Join(dir, "layer.tar")
	if out, err := exec.Command("tar", "-C", root, "--numeric-owner", "-cf", layerTar, ".").CombinedOutput(); err != nil {
		return fmt.Errorf("tar %s: %w\n%s", root, err, out)
	}
	layer, err := addBlobFile(blobs, layerTar, "application/vnd.oci.image.layer.v1.tar")
	if err != nil {
		return err
	}
	cfg, err := addBlobJSON(blobs, "application/vnd.oci.image.config.v1+json", map[string]any{
		"created":      time.Now().UTC().Format(time.RFC3339),
		"architecture": goruntime.GOARCH,
		"os":           "linux",
		"config":       config,
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{layer.Digest}},
	})
	if err != nil {
		return err
	}
	manifest, err := addBlobJSON(blobs, "application/vnd.oci.image.manifest.v1+json", map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"config":        cfg,
		"layers":        []descriptor{layer},
	})
	if err != nil {
		return err
	}
	manifest.Platform = map[string]string{"architecture": goruntime.GOARCH, "os": "linux"}
	manifest.Annotations = map[string]string{
		"io.containerd.image.name":          name,
		"org.opencontainers.image.ref.name": name[strings.LastIndex(name, ":")+1:],
	}
	index, err := json.Marshal(map[string]any{"schemaVersion": 2, "manifests": []descriptor{manifest}})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "index.json"), index, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)
}

// addBlobFile moves file into the blob store under its digest.
func addBlobFile(blobs, file, mediaType string) (descriptor, error) {
	f, err := os.Open(file)
	if err != nil {
		return descriptor{}, err
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	f.Close()
	if err != nil {
		return descriptor{}, err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if err := os.Rename(file, filepath.Join(blobs, sum)); err != nil {
		return descriptor{}, err
	}
	return descriptor{MediaType: mediaType, Digest: "sha256:" + sum, Size: n}, nil
}

func addBlobJSON(blobs, mediaType string, v any) (descriptor, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return descriptor{}, err
	}
	sum := sha256.Sum256(data)
	hexSum := hex.EncodeToString(sum[:])
	if err := os.WriteFile(filepath.Join(blobs, hexSum), data, 0o644); err != nil {
		return descriptor{}, err
	}
	return descriptor{MediaType: mediaType, Digest: "sha256:" + hexSum, Size: int64(len(data))}, nil
}
