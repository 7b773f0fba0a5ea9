package site

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feedmill/feedmill/internal/publish"
)

// manifest maps every output path to the fingerprint it was rendered
// from.
type manifest map[string]uint64

// ManifestName is the file in the site's folder that remembers the last
// build; the handler never serves it.
const ManifestName = ".feedmill-manifest"

const manifestHead = "feedmill site manifest 1"

// output is where a site goes: a folder or memory.
type output interface {
	// write puts data at rel unless, when compare is set, rel already
	// holds exactly data; it reports whether it wrote.
	write(rel string, data []byte, compare bool) (bool, error)
	remove(rel string) error
	// loadManifest returns nil, and no error, when there is none.
	loadManifest() (manifest, error)
	saveManifest(m manifest) error
}

func newOutput(cfg Config) (output, error) {
	if cfg.Memory != nil {
		return cfg.Memory, nil
	}
	if strings.TrimSpace(cfg.Dir) == "" {
		return nil, errors.New("build site: no output folder")
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("build site: %w", err)
	}
	if err := publish.CleanTemp(cfg.Dir); err != nil {
		return nil, fmt.Errorf("build site: clean temp files: %w", err)
	}
	return &diskOutput{dir: cfg.Dir}, nil
}

// syncEach is how many pages a build fsyncs one by one; past it, one
// syncfs at the end flushes the rest.
var syncEach = int64(128)

// diskOutput writes the site into a folder.
type diskOutput struct {
	dir     string
	dirs    sync.Map // folders known to exist
	written atomic.Int64
}

// write replaces the file atomically: a temp file in the same folder,
// renamed into place, so that a reader (or the web server) never sees a
// partial page. The manifest must never claim a page that a power cut
// could lose, so pages reach the disk before it: the first syncEach pages
// of a build are synced as they are written (an incremental build writes
// a few dozen), and saveManifest syncs the whole file system once when
// there were more, which costs far less than 100,000 fsyncs.
func (o *diskOutput) write(rel string, data []byte, compare bool) (bool, error) {
	path := filepath.Join(o.dir, filepath.FromSlash(rel))
	if compare {
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
			return false, nil
		}
	}
	dir := filepath.Dir(path)
	if _, ok := o.dirs.Load(dir); !ok {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return false, err
		}
		o.dirs.Store(dir, true)
	}
	f, err := os.CreateTemp(dir, ".feedmill-*.tmp")
	if err != nil {
		return false, err
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if werr == nil && o.written.Add(1) <= syncEach {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp, 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return false, werr
	}
	return true, nil
}

func (o *diskOutput) remove(rel string) error {
	err := os.Remove(filepath.Join(o.dir, filepath.FromSlash(rel)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func (o *diskOutput) loadManifest() (manifest, error) {
	data, err := os.ReadFile(filepath.Join(o.dir, ManifestName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return parseManifest(data)
}

func (o *diskOutput) saveManifest(m manifest) error {
	if o.written.Load() > syncEach {
		if err := syncFS(o.dir); err != nil {
			return err
		}
	}
	_, err := publish.WriteFile(filepath.Join(o.dir, ManifestName), formatManifest(m))
	return err
}

// formatManifest writes a line per page, "fingerprint path", sorted by
// path: plain text, quick to read back, and diffable.
func formatManifest(m manifest) []byte {
	var b bytes.Buffer
	b.Grow(len(m) * 48)
	b.WriteString(manifestHead + "\n")
	for _, rel := range sortedKeys(m) {
		b.WriteString(strconv.FormatUint(m[rel], 16))
		b.WriteByte(' ')
		b.WriteString(rel)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func parseManifest(data []byte) (manifest, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	if !sc.Scan() || sc.Text() != manifestHead {
		return nil, errors.New("not a feedmill site manifest")
	}
	m := manifest{}
	for sc.Scan() {
		line := sc.Text()
		fp, rel, ok := strings.Cut(line, " ")
		v, err := strconv.ParseUint(fp, 16, 64)
		if !ok || err != nil || rel == "" {
			return nil, fmt.Errorf("damaged manifest line %q", line)
		}
		m[rel] = v
	}
	return m, sc.Err()
}

// Memory holds a built site in memory, for feedmill serve to serve
// without a folder. It is safe for concurrent use: pages are replaced one
// at a time while requests read them.
type Memory struct {
	mu       sync.RWMutex
	files    map[string]memFile
	manifest manifest
}

type memFile struct {
	data []byte
	mod  time.Time
	etag string
}

// NewMemory returns an empty in-memory site.
func NewMemory() *Memory { return &Memory{files: map[string]memFile{}} }

func (m *Memory) write(rel string, data []byte, compare bool) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.files[rel]; ok && bytes.Equal(old.data, data) {
		return false, nil
	}
	h := newHash()
	for _, c := range data {
		h.byte(c)
	}
	m.files[rel] = memFile{data: bytes.Clone(data), mod: time.Now(), etag: `"` + strconv.FormatUint(h.sum(), 16) + `"`}
	return true, nil
}

func (m *Memory) remove(rel string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.files, rel)
	return nil
}

func (m *Memory) loadManifest() (manifest, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.manifest == nil {
		return nil, nil
	}
	out := make(manifest, len(m.manifest))
	for k, v := range m.manifest {
		out[k] = v
	}
	return out, nil
}

func (m *Memory) saveManifest(man manifest) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.manifest = man
	return nil
}

func (m *Memory) get(rel string) (memFile, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	f, ok := m.files[rel]
	return f, ok
}

func init() {
	if v := os.Getenv("FM_SYNC_EACH"); v != "" {
		n, _ := strconv.Atoi(v)
		syncEach = int64(n)
	}
}
