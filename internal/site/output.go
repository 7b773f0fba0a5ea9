package site

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
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
	"unsafe"

	"github.com/feedmill/feedmill/internal/atomicfile"
)

// manifest maps every output path to the fingerprint it was rendered
// from.
type manifest map[string]uint64

// ManifestName is the file in the site's folder that remembers the last
// build; the handler never serves it.
const ManifestName = ".feedmill-manifest"

// manifestHead starts the text manifest of earlier versions.
const manifestHead = "feedmill site manifest 1"

// output is where a site goes: a folder or memory.
type output interface {
	// write puts data at rel unless, when compare is set, rel already
	// holds exactly data; it reports whether it wrote. fresh says that
	// the last finished build had no page at rel.
	write(rel string, data []byte, compare, fresh bool) (bool, error)
	remove(rel string) error
	// read returns the page at rel as the last build left it.
	read(rel string) ([]byte, error)
	// loadManifest returns nil, and no error, when there is none; ok is
	// false when the last build did not finish, so that the manifest may
	// claim pages that never reached the disk.
	loadManifest() (m manifest, ok bool, err error)
	saveManifest(m manifest) error
	// loadItems returns the cached item listing (ItemsName), nil when
	// there is none; saveItems replaces it.
	loadItems() ([]byte, error)
	saveItems(data []byte) error
	// loadEntries returns the cached list entries (EntriesName), nil when
	// there are none; saveEntries replaces them.
	loadEntries() ([]byte, error)
	saveEntries(data []byte) error
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
	boot := atomicfile.BootID()
	marker := readMarker(cfg.Dir, boot)
	// Only an interrupted build leaves temp files below the top folder,
	// and it leaves its marker too: walking 100,000 pages on every build
	// would cost more than the build.
	if marker == markerUntrusted {
		if err := atomicfile.CleanTemp(cfg.Dir); err != nil {
			return nil, fmt.Errorf("build site: clean temp files: %w", err)
		}
	} else if err := cleanTopTemp(cfg.Dir); err != nil {
		return nil, fmt.Errorf("build site: clean temp files: %w", err)
	}
	var r [4]byte
	_, _ = rand.Read(r[:])
	return &diskOutput{dir: cfg.Dir, tmpPrefix: ".feedmill-" + hex.EncodeToString(r[:]) + "-", boot: boot, marker: marker,
		markerDurable: marker == markerThisBoot}, nil
}

// BuildingName is the build marker. It says whether the manifest can be
// trusted, that is whether every page it lists holds what it says:
//
//   - no marker: the last build finished and synced the file system (as
//     every build does where the boot cannot be named, see atomicfile.BootID);
//   - "built in boot <id>": the last build finished during this boot of
//     the kernel, so its pages are at least in the page cache, which is
//     what every reader sees; the kernel writes them back in its time;
//   - anything else: "building" (a build stopped half-way, killed or cut
//     off by a power loss), another boot's ID (the machine restarted
//     since, maybe after a power cut that lost pages still in the page
//     cache), a damaged marker. The next build compares every page with
//     the disk and repairs what was lost.
//
// So a build never waits for its pages to reach the disk (neither Hugo
// nor Hexo do), and still a power cut is always noticed: the marker's
// name is on disk before any page is written, and from then on it is
// only replaced by renames, never removed unless the file system was
// synced first.
const BuildingName = ".feedmill-building"

const buildingLine = "building\n"

func builtLine(boot string) string { return "built in boot " + boot + "\n" }

// markerState is what the build marker said when the build started.
type markerState int

const (
	markerNone      markerState = iota // no marker: the last build synced
	markerThisBoot                     // the last build finished in this boot
	markerUntrusted                    // a build stopped half-way, or the machine restarted since
)

func readMarker(dir, boot string) markerState {
	data, err := os.ReadFile(filepath.Join(dir, BuildingName))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return markerNone
	case err == nil && boot != "" && string(data) == builtLine(boot):
		return markerThisBoot
	}
	return markerUntrusted
}

// cleanTopTemp removes the temp files a build killed while saving its
// marker, manifest or caches left in the site's top folder.
func cleanTopTemp(dir string) error {
	names, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range names {
		if n := e.Name(); !e.IsDir() && atomicfile.IsTemp(n) {
			if err := os.Remove(filepath.Join(dir, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

// diskOutput writes the site into a folder.
type diskOutput struct {
	dir       string
	tmpPrefix string // temp names are tmpPrefix + a counter + ".tmp"
	tmpSeq    atomic.Int64
	dirs      sync.Map // folders known to exist: path → *sync.Mutex, see folder
	begin     sync.Once
	beginErr  error
	began     bool // the marker says "building"
	written   atomic.Int64
	// boot is this boot's ID, "" when unknown; marker is what the build
	// marker said when the build started, and markerDurable that its
	// name is on disk.
	boot          string
	marker        markerState
	markerDurable bool
}

// write replaces the file atomically: a temp file in the same folder,
// renamed into place, so that a reader (or the web server) never sees a
// partial page.
//
// Pages are not synced: 100,000 fsyncs would cost minutes, and even one
// syncfs at the end costs a small build most of its time. Instead the
// first write of a build sets the build marker to "building", and
// saveManifest sets it to "built in boot <id>" once the manifest is
// saved (see BuildingName). After a power cut the marker says another
// boot, or still "building", and the next build repairs whatever pages
// were lost.
//
// A fresh page (one no finished build wrote, as every page of a first
// build) is created in place when no file is in its way: no reader knows
// its URL yet, and a crash leaves the build marker, after which the next
// build compares every page with the disk. That spares a temp file and a
// rename per page, the two costliest operations of a first build.
func (o *diskOutput) write(rel string, data []byte, compare, fresh bool) (bool, error) {
	path := filepath.Join(o.dir, filepath.FromSlash(rel))
	if compare {
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
			return false, nil
		}
	}
	var err error
	if err := o.beginWriting(); err != nil {
		return false, err
	}
	dir := filepath.Dir(path)
	lock, err := o.folder(dir)
	if err != nil {
		return false, err
	}
	if fresh {
		err := o.create(lock, path, data)
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return false, err
		}
		// A file no build recorded is in the way: replace it as usual.
	}
	var tmp string
	for {
		tmp = filepath.Join(dir, o.tmpPrefix+strconv.FormatInt(o.tmpSeq.Add(1), 36)+".tmp")
		err = o.create(lock, tmp, data)
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	if err != nil {
		return false, err
	}
	lock.Lock()
	err = os.Rename(tmp, path)
	lock.Unlock()
	if err != nil {
		os.Remove(tmp)
		return false, err
	}
	return true, nil
}

// folder makes the folder dir once and returns its lock.
//
// Creating, renaming or removing a file locks its folder in the kernel,
// and a writer waiting for that lock spins on a CPU while the holder
// runs: in a first build, where 16 writers create thousands of pages in
// posts/, spinning took a sixth of the CPU time. Writers take the
// folder's lock here first, so that those waiting sleep.
func (o *diskOutput) folder(dir string) (*sync.Mutex, error) {
	if l, ok := o.dirs.Load(dir); ok {
		return l.(*sync.Mutex), nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	l, _ := o.dirs.LoadOrStore(dir, new(sync.Mutex))
	return l.(*sync.Mutex), nil
}

// create makes a new file at path (fs.ErrExist when there is one) holding
// data; lock is its folder's.
func (o *diskOutput) create(lock *sync.Mutex, path string, data []byte) error {
	err := atomicfile.Create(lock, path, data)
	if !errors.Is(err, fs.ErrExist) {
		o.written.Add(1)
	}
	return err
}

// beginWriting sets the marker to "building" before the build's first
// change to the site.
func (o *diskOutput) beginWriting() error {
	o.begin.Do(func() {
		o.beginErr = o.setMarker(buildingLine)
		o.began = o.beginErr == nil
	})
	return o.beginErr
}

// setMarker replaces the build marker through a temp file. The first
// time, unless the marker of a finished build of this boot is there
// (whose name is on disk already), the temp file and the folder are
// synced: the marker's name must reach the disk before any page does. A
// rename over a name on disk leaves a name on disk, whatever else the
// disk loses, so later changes need no sync.
func (o *diskOutput) setMarker(content string) error {
	path := filepath.Join(o.dir, BuildingName)
	tmp := filepath.Join(o.dir, o.tmpPrefix+"marker.tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("build marker: %w", err)
	}
	_, err = f.WriteString(content)
	if err == nil && !o.markerDurable {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil && !o.markerDurable {
		err = atomicfile.SyncDir(o.dir)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("build marker: %w", err)
	}
	o.markerDurable = true
	return nil
}

func (o *diskOutput) remove(rel string) error {
	if err := o.beginWriting(); err != nil {
		return err
	}
	err := os.Remove(filepath.Join(o.dir, filepath.FromSlash(rel)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func (o *diskOutput) read(rel string) ([]byte, error) {
	return os.ReadFile(filepath.Join(o.dir, filepath.FromSlash(rel)))
}

func (o *diskOutput) loadManifest() (manifest, bool, error) {
	data, err := os.ReadFile(filepath.Join(o.dir, ManifestName))
	if errors.Is(err, fs.ErrNotExist) {
		if empty(o.dir) {
			// A first build into an empty folder: nothing to compare with.
			return manifest{}, true, nil
		}
		return nil, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	m, err := parseManifest(data)
	if err != nil {
		return nil, false, err
	}
	return m, o.marker != markerUntrusted, nil
}

// saveManifest saves the manifest of a finished build and marks the site
// finished: "built in boot <id>", with no sync. Where the boot cannot be
// named, it syncs the file system first and removes the marker instead.
func (o *diskOutput) saveManifest(m manifest) error {
	if o.boot == "" && (o.began || o.marker != markerNone) {
		if err := atomicfile.SyncFS(o.dir); err != nil {
			return err
		}
	}
	// The build saves the manifest only when it changed: no need to read
	// the old one to compare.
	if _, err := (*atomicfile.Files)(nil).Write(filepath.Join(o.dir, ManifestName), formatManifest(m), true); err != nil {
		return err
	}
	switch {
	case o.boot != "" && (o.began || o.marker == markerUntrusted):
		return o.setMarker(builtLine(o.boot))
	case o.boot == "":
		err := os.Remove(filepath.Join(o.dir, BuildingName))
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	return nil
}

func (o *diskOutput) loadItems() ([]byte, error) { return o.loadCache(ItemsName) }

func (o *diskOutput) saveItems(data []byte) error { return o.saveCache(ItemsName, data) }

func (o *diskOutput) loadEntries() ([]byte, error) { return o.loadCache(EntriesName) }

func (o *diskOutput) saveEntries(data []byte) error { return o.saveCache(EntriesName, data) }

func (o *diskOutput) loadCache(name string) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(o.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return data, err
}

// saveCache replaces a cache file through a temp file, not synced: the
// caches are checksummed and every build checks them.
func (o *diskOutput) saveCache(name string, data []byte) error {
	path := filepath.Join(o.dir, name)
	tmp := filepath.Join(o.dir, o.tmpPrefix+"cache.tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// empty reports whether the folder has no entries at all.
func empty(dir string) bool {
	f, err := os.Open(dir)
	if err != nil {
		return false
	}
	defer f.Close()
	names, _ := f.Readdirnames(1)
	return len(names) == 0
}

// The manifest is binary: magic, the number of pages, then per page the
// path (a uvarint length and the bytes) and the fingerprint (8 bytes,
// little-endian), and a final CRC-32C of all that. Pages are in no order:
// sorting 128,000 paths and formatting them as text took a tenth of a
// small incremental build of a 100,000-post site, and parsing the text
// back most of another tenth.
const manifestMagic = "feedmill site manifest 2\n"

func formatManifest(m manifest) []byte {
	n := len(manifestMagic) + binary.MaxVarintLen64 + 4
	for rel := range m {
		n += len(rel) + 2 + 8
	}
	buf := make([]byte, 0, n)
	buf = append(buf, manifestMagic...)
	buf = binary.AppendUvarint(buf, uint64(len(m)))
	for rel, fp := range m {
		buf = binary.AppendUvarint(buf, uint64(len(rel)))
		buf = append(buf, rel...)
		buf = binary.LittleEndian.AppendUint64(buf, fp)
	}
	return seal(buf)
}

var errDamagedManifest = errors.New("damaged site manifest")

// parseManifest reads the binary manifest, or the text one of earlier
// versions ("fingerprint path" lines), so that an upgrade does not render
// every page again. It takes data over: the paths share its memory.
func parseManifest(data []byte) (manifest, error) {
	if bytes.HasPrefix(data, []byte(manifestHead+"\n")) {
		return parseTextManifest(data)
	}
	body, ok := unseal(data, manifestMagic)
	if !ok {
		return nil, errDamagedManifest
	}
	// One string for the whole file, never changed after: the paths are
	// slices of it, not a string each.
	text := unsafe.String(unsafe.SliceData(body), len(body))
	n, k := uvarintString(text)
	if k <= 0 || n > uint64(len(text)) {
		return nil, errDamagedManifest
	}
	text = text[k:]
	m := make(manifest, n)
	for range n {
		l, k := uvarintString(text)
		if k <= 0 || l > uint64(len(text)-k) || uint64(len(text)-k)-l < 8 || l == 0 {
			return nil, errDamagedManifest
		}
		rel := text[k : k+int(l)]
		text = text[k+int(l):]
		var fp uint64
		for i := range 8 {
			fp |= uint64(text[i]) << (8 * i)
		}
		m[rel] = fp
		text = text[8:]
	}
	if text != "" || len(m) != int(n) {
		return nil, errDamagedManifest
	}
	return m, nil
}

// uvarintString is binary.Uvarint over a string.
func uvarintString(s string) (uint64, int) {
	var x uint64
	var shift uint
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		c := s[i]
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				return 0, -(i + 1)
			}
			return x | uint64(c)<<shift, i + 1
		}
		x |= uint64(c&0x7f) << shift
		shift += 7
	}
	return 0, 0
}

// parseTextManifest reads the text manifest of earlier versions: a head
// line, then "fingerprint path" lines.
func parseTextManifest(data []byte) (manifest, error) {
	text := string(data)
	head, text, _ := strings.Cut(text, "\n")
	if head != manifestHead {
		return nil, errors.New("not a feedmill site manifest")
	}
	m := make(manifest, strings.Count(text, "\n"))
	for text != "" {
		line, rest, ok := strings.Cut(text, "\n")
		if !ok {
			return nil, fmt.Errorf("damaged manifest: last line %q unfinished", line)
		}
		text = rest
		fp, rel, ok := strings.Cut(line, " ")
		v, err := strconv.ParseUint(fp, 16, 64)
		if !ok || err != nil || rel == "" {
			return nil, fmt.Errorf("damaged manifest line %q", line)
		}
		m[rel] = v
	}
	return m, nil
}

// Memory holds a built site in memory, for feedmill serve to serve
// without a folder. It is safe for concurrent use: pages are replaced one
// at a time while requests read them.
type Memory struct {
	mu       sync.RWMutex
	files    map[string]memFile
	manifest manifest
	items    []byte
	entries  []byte
}

type memFile struct {
	data []byte
	mod  time.Time
	etag string
}

// NewMemory returns an empty in-memory site.
func NewMemory() *Memory { return &Memory{files: map[string]memFile{}} }

func (m *Memory) write(rel string, data []byte, compare, fresh bool) (bool, error) {
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

func (m *Memory) read(rel string) ([]byte, error) {
	f, ok := m.get(rel)
	if !ok {
		return nil, fs.ErrNotExist
	}
	return f.data, nil
}

func (m *Memory) loadManifest() (manifest, bool, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.manifest == nil {
		return nil, true, nil
	}
	out := make(manifest, len(m.manifest))
	for k, v := range m.manifest {
		out[k] = v
	}
	return out, true, nil
}

func (m *Memory) saveManifest(man manifest) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.manifest = man
	return nil
}

func (m *Memory) loadItems() ([]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.items, nil
}

func (m *Memory) saveItems(data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.items = data
	return nil
}

func (m *Memory) loadEntries() ([]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.entries, nil
}

func (m *Memory) saveEntries(data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries = data
	return nil
}

func (m *Memory) get(rel string) (memFile, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	f, ok := m.files[rel]
	return f, ok
}
