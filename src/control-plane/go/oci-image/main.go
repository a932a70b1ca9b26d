// oci-image assembles a container image from files on disk, with no daemon and no registry, and
// writes it as one tar archive that holds both an OCI image layout (index.json, blobs/) and
// Docker's manifest.json, as `docker save` does since Docker 25: `ctr images import`, `kind load
// image-archive`, `docker load` and `crane push` all read it.
//
// Reproducible: the same spec and the same file contents give the same bytes. Entries are sorted,
// every time stamp is the Unix epoch, owners are numeric, and gzip writes no name or time.
//
// Usage: oci-image SPEC.json  (the spec's shape is the Spec type below; it prints a Result as JSON)
package main

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Entry is one file system object of a layer.
type Entry struct {
	// Path inside the image, relative to / (no leading slash).
	Path string `json:"path"`
	// "file" (copied from Source), "dir" or "symlink" (pointing at Target).
	Type   string `json:"type"`
	Source string `json:"source,omitempty"`
	Target string `json:"target,omitempty"`
	Mode   int64  `json:"mode"`
	UID    int    `json:"uid"`
	GID    int    `json:"gid"`
}

// Layer is one image layer; its entries are written sorted by path whatever their order here.
type Layer struct {
	Comment string  `json:"comment"`
	Entries []Entry `json:"entries"`
}

// Spec describes the image.
type Spec struct {
	// Reference is the full image name, e.g. ghcr.io/org/name:tag.
	Reference string    `json:"reference"`
	Output    string    `json:"output"`
	Layers    []Layer   `json:"layers"`
	Config    v1.Config `json:"config"`
}

// LayerResult reports one written layer.
type LayerResult struct {
	Comment          string `json:"comment"`
	Digest           string `json:"digest"`
	CompressedSize   int64  `json:"compressedSize"`
	UncompressedSize int64  `json:"uncompressedSize"`
	Entries          int    `json:"entries"`
}

// Result is printed on stdout.
type Result struct {
	Reference    string        `json:"reference"`
	Digest       string        `json:"digest"`
	ConfigDigest string        `json:"configDigest"`
	ArchiveSize  int64         `json:"archiveSize"`
	Layers       []LayerResult `json:"layers"`
}

var epoch = time.Unix(0, 0).UTC()

func main() {
	if len(os.Args) != 2 {
		fail(fmt.Errorf("usage: oci-image SPEC.json"))
	}
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail(err)
	}
	var spec Spec
	if err := json.Unmarshal(raw, &spec); err != nil {
		fail(fmt.Errorf("spec %s: %w", os.Args[1], err))
	}
	result, err := build(spec)
	if err != nil {
		fail(err)
	}
	out, _ := json.MarshalIndent(result, "", "  ")
	fmt.Println(string(out))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "oci-image:", err)
	os.Exit(1)
}

func build(spec Spec) (*Result, error) {
	if spec.Reference == "" || spec.Output == "" {
		return nil, fmt.Errorf("spec needs a reference and an output")
	}
	work, err := os.MkdirTemp(filepath.Dir(spec.Output), ".oci-image-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)

	img := empty.Image
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	result := &Result{Reference: spec.Reference}
	for i, l := range spec.Layers {
		file := filepath.Join(work, fmt.Sprintf("layer-%d.tar.gz", i))
		count, uncompressed, err := writeLayer(l.Entries, file)
		if err != nil {
			return nil, fmt.Errorf("layer %d (%s): %w", i, l.Comment, err)
		}
		layer, err := tarball.LayerFromFile(file, tarball.WithMediaType(types.OCILayer))
		if err != nil {
			return nil, err
		}
		img, err = mutate.Append(img, mutate.Addendum{
			Layer:   layer,
			History: v1.History{CreatedBy: l.Comment, Created: v1.Time{Time: epoch}},
		})
		if err != nil {
			return nil, err
		}
		digest, _ := layer.Digest()
		size, _ := layer.Size()
		result.Layers = append(result.Layers, LayerResult{
			Comment: l.Comment, Digest: digest.String(), CompressedSize: size,
			UncompressedSize: uncompressed, Entries: count,
		})
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture = "amd64"
	cf.OS = "linux"
	cf.Created = v1.Time{Time: epoch}
	cf.Config = spec.Config
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, err
	}

	layoutDir := filepath.Join(work, "layout")
	p, err := layout.Write(layoutDir, empty.Index)
	if err != nil {
		return nil, err
	}
	tag := spec.Reference[strings.LastIndex(spec.Reference, ":")+1:]
	annotations := map[string]string{
		// containerd's importer names the image after this; the OCI annotation holds the tag only.
		"io.containerd.image.name":         spec.Reference,
		"org.opencontainers.image.ref.name": tag,
	}
	if err := p.AppendImage(img, layout.WithAnnotations(annotations)); err != nil {
		return nil, err
	}
	digest, err := img.Digest()
	if err != nil {
		return nil, err
	}
	configDigest, err := img.ConfigName()
	if err != nil {
		return nil, err
	}
	result.Digest = digest.String()
	result.ConfigDigest = configDigest.String()
	var layerPaths []string
	for _, l := range result.Layers {
		layerPaths = append(layerPaths, "blobs/sha256/"+strings.TrimPrefix(l.Digest, "sha256:"))
	}
	dockerManifest, _ := json.Marshal([]map[string]any{{
		"Config":   "blobs/sha256/" + configDigest.Hex,
		"RepoTags": []string{spec.Reference},
		"Layers":   layerPaths,
	}})
	if err := os.WriteFile(filepath.Join(layoutDir, "manifest.json"), dockerManifest, 0o644); err != nil {
		return nil, err
	}
	size, err := tarDirectory(layoutDir, spec.Output)
	if err != nil {
		return nil, err
	}
	result.ArchiveSize = size
	return result, nil
}

// writeLayer writes a gzipped tar of the entries, sorted, with every parent directory present.
func writeLayer(entries []Entry, file string) (int, int64, error) {
	byPath := map[string]Entry{}
	for _, e := range entries {
		clean := path.Clean(strings.TrimPrefix(e.Path, "/"))
		if clean == "." || strings.HasPrefix(clean, "..") {
			return 0, 0, fmt.Errorf("bad path %q", e.Path)
		}
		e.Path = clean
		if _, dup := byPath[clean]; dup {
			return 0, 0, fmt.Errorf("path %q given twice", clean)
		}
		byPath[clean] = e
	}
	for p := range byPath {
		for dir := path.Dir(p); dir != "."; dir = path.Dir(dir) {
			if _, ok := byPath[dir]; !ok {
				byPath[dir] = Entry{Path: dir, Type: "dir", Mode: 0o755}
			}
		}
	}
	paths := make([]string, 0, len(byPath))
	for p := range byPath {
		paths = append(paths, p)
	}
	sort.Strings(paths)

	out, err := os.Create(file)
	if err != nil {
		return 0, 0, err
	}
	defer out.Close()
	gz, _ := gzip.NewWriterLevel(out, gzip.BestCompression)
	counter := &countingWriter{w: gz}
	tw := tar.NewWriter(counter)
	for _, p := range paths {
		e := byPath[p]
		hdr := &tar.Header{
			Name: p, Mode: e.Mode, Uid: e.UID, Gid: e.GID, ModTime: epoch, Format: tar.FormatPAX,
		}
		switch e.Type {
		case "dir":
			hdr.Typeflag = tar.TypeDir
			hdr.Name = p + "/"
		case "symlink":
			hdr.Typeflag = tar.TypeSymlink
			hdr.Linkname = e.Target
		case "file":
			hdr.Typeflag = tar.TypeReg
			info, err := os.Stat(e.Source)
			if err != nil {
				return 0, 0, err
			}
			hdr.Size = info.Size()
		default:
			return 0, 0, fmt.Errorf("%s: unknown type %q", p, e.Type)
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return 0, 0, err
		}
		if e.Type == "file" {
			if err := copyFile(tw, e.Source, hdr.Size); err != nil {
				return 0, 0, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return 0, 0, err
	}
	if err := gz.Close(); err != nil {
		return 0, 0, err
	}
	return len(paths), counter.n, out.Close()
}

func copyFile(w io.Writer, source string, size int64) error {
	f, err := os.Open(source)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.Copy(w, f)
	if err == nil && n != size {
		err = fmt.Errorf("%s changed while it was read", source)
	}
	return err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// tarDirectory writes dir's files into an uncompressed tar at output, sorted, with epoch times.
func tarDirectory(dir, output string) (int64, error) {
	var files []string
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	sort.Strings(files)
	tmp := output + ".tmp"
	out, err := os.Create(tmp)
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp)
	tw := tar.NewWriter(out)
	for _, p := range files {
		info, err := os.Stat(p)
		if err != nil {
			return 0, err
		}
		rel, _ := filepath.Rel(dir, p)
		hdr := &tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, ModTime: epoch, Format: tar.FormatPAX}
		if info.IsDir() {
			hdr.Typeflag = tar.TypeDir
			hdr.Name += "/"
			hdr.Mode = 0o755
		} else {
			hdr.Typeflag = tar.TypeReg
			hdr.Size = info.Size()
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return 0, err
		}
		if !info.IsDir() {
			if err := copyFile(tw, p, hdr.Size); err != nil {
				return 0, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return 0, err
	}
	if err := out.Close(); err != nil {
		return 0, err
	}
	info, err := os.Stat(tmp)
	if err != nil {
		return 0, err
	}
	return info.Size(), os.Rename(tmp, output)
}
