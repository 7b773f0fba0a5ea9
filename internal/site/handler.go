package site

import (
	"bytes"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/feedmill/feedmill/internal/imgproxy"
)

// Handler serves the built site from cfg.Memory, or else from cfg.Dir,
// under the path of cfg.BaseURL ("/" when none). Folders serve their
// index.html, missing pages the site's 404.html with status 404, and
// nothing whose name starts with a dot (the manifest, temp files) is ever
// served. Files are opened through an os.Root of cfg.Dir, so a symbolic
// link that leads out of the folder is not followed: the request gets the
// 404 page. Mount it at "/" beside the other routes (/admin, /img, ...):
// the more specific patterns win.
func Handler(cfg Config) http.Handler {
	return &handler{cfg: cfg.withDefaults(), root: cfg.root()}
}

type handler struct {
	cfg  Config
	root string
}

var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".json": "application/json; charset=utf-8",
	".xml":  "application/xml; charset=utf-8",
	".opml": "text/x-opml; charset=utf-8",
	".svg":  "image/svg+xml",
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	if !strings.HasPrefix(p, h.root) {
		if p+"/" == h.root {
			http.Redirect(w, r, h.root, http.StatusMovedPermanently)
			return
		}
		h.notFound(w, r)
		return
	}
	rel := strings.TrimPrefix(p, h.root)
	if rel != "" && path.Clean("/" + rel)[1:] != strings.TrimSuffix(rel, "/") {
		h.notFound(w, r) // "..", "//" and friends
		return
	}
	for _, seg := range strings.Split(rel, "/") {
		if strings.HasPrefix(seg, ".") {
			h.notFound(w, r)
			return
		}
	}
	if rel == "" || strings.HasSuffix(rel, "/") {
		rel += "index.html"
	} else if h.isDir(rel) {
		http.Redirect(w, r, p+"/", http.StatusMovedPermanently)
		return
	}
	if !h.serve(w, r, rel, http.StatusOK) {
		h.notFound(w, r)
	}
}

func (h *handler) isDir(rel string) bool {
	if h.cfg.Memory != nil {
		_, ok := h.cfg.Memory.get(rel + "/index.html")
		return ok
	}
	root, err := os.OpenRoot(h.cfg.Dir)
	if err != nil {
		return false
	}
	defer root.Close()
	fi, err := root.Stat(filepath.FromSlash(rel))
	return err == nil && fi.IsDir()
}

// serve writes the file at rel; it returns false when there is none.
func (h *handler) serve(w http.ResponseWriter, r *http.Request, rel string, status int) bool {
	hd := w.Header()
	ext := path.Ext(rel)
	typ := contentTypes[ext]
	if typ == "" {
		typ = mime.TypeByExtension(ext)
	}
	if typ != "" {
		hd.Set("Content-Type", typ)
	}
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	if ext == ".html" {
		// The pages carry the same policy in a meta tag, for static hosts.
		hd.Set("Content-Security-Policy", "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'")
		hd.Set("Cache-Control", "no-cache")
	} else {
		hd.Set("Cache-Control", "public, max-age=300")
	}
	if h.cfg.Memory != nil {
		f, ok := h.cfg.Memory.get(rel)
		if !ok {
			return false
		}
		hd.Set("ETag", f.etag)
		if status != http.StatusOK {
			w.WriteHeader(status)
			w.Write(f.data)
			return true
		}
		http.ServeContent(w, r, rel, f.mod, bytes.NewReader(f.data))
		return true
	}
	// The root refuses a path that leaves the folder, by ".." or through
	// a symbolic link: the site's folder is all that is served.
	root, err := os.OpenRoot(h.cfg.Dir)
	if err != nil {
		return false
	}
	defer root.Close()
	f, err := root.Open(filepath.FromSlash(rel))
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.IsDir() {
		return false
	}
	if status != http.StatusOK {
		w.WriteHeader(status)
		_, _ = f.WriteTo(w)
		return true
	}
	http.ServeContent(w, r, rel, fi.ModTime(), f)
	return true
}

func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	if h.serve(w, r, "404.html", http.StatusNotFound) {
		return
	}
	http.Error(w, "404 page not found", http.StatusNotFound)
}

// HandlerWithProxy is Handler, and with the builtin image proxy
// (cfg.ImageProxy set) the proxy at cfg.ImagePath(), signed by
// cfg.ImageProxy; proxy gives its other options. The proxy's path follows
// the site's base URL, which a reload may change, so it is routed here
// rather than by the server's mux.
func HandlerWithProxy(cfg Config, proxy imgproxy.Options) http.Handler {
	h := Handler(cfg)
	if cfg.ImageProxy == nil {
		return h
	}
	proxy.Signer = cfg.ImageProxy
	return &withProxy{site: h, path: cfg.ImagePath(), proxy: imgproxy.New(proxy)}
}

// withProxy serves the image proxy at its path and the site elsewhere.
type withProxy struct {
	site  http.Handler
	path  string
	proxy http.Handler
}

func (p *withProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == p.path {
		p.proxy.ServeHTTP(w, r)
		return
	}
	p.site.ServeHTTP(w, r)
}
