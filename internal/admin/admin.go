// Package admin is feedmill's /admin page: every source with its status,
// last success, last error and next due time, readable by anyone who can
// reach the server, and actions (fetch now, pause, resume) that need the
// admin token from the configuration.
package admin

import (
	"bytes"
	"context"
	"crypto/subtle"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/feedmill/feedmill/internal/schedule"
	"github.com/feedmill/feedmill/internal/store"
)

// Store is the part of the store the admin page reads and changes.
type Store interface {
	Sources(ctx context.Context) ([]store.Source, error)
	SetPaused(ctx context.Context, sourceID int64, paused bool) error
}

// Options wire the page to the rest of feedmill.
type Options struct {
	Store Store
	// Token unlocks the actions; "" leaves the page read-only.
	Token string
	// FetchNow asks for the source to be fetched as soon as possible; nil
	// when nothing can (feedmill build has no fetcher).
	FetchNow func(ctx context.Context, src store.Source) error
	// Keys are the configured sources (group/source/channel), in the
	// configuration's order: the page lists and counts these, as feedmill
	// sources, /healthz and /metrics do, and leaves out the rows of
	// sources no longer configured. nil lists every row of the store.
	Keys []string
	// NextDue says when the source is fetched next; nil or a zero time
	// shows it as unknown.
	NextDue func(src store.Source) time.Time
	// Location is the zone times are shown in (default UTC).
	Location *time.Location
	// Fleet, when set, reads the state of the processes that share the
	// store (a fleet over PostgreSQL): the page shows them, the publisher,
	// and which process holds each source's lease.
	Fleet func(ctx context.Context) (Fleet, error)
	// Now is the clock (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// Fleet is what the page shows of a fleet of processes over one store.
type Fleet struct {
	// Self is the process serving the page, Role its role.
	Self, Role string
	// Publisher is the process that publishes, "" when none does.
	Publisher string
	Processes []Process
	// Leases are the live leases by source ID.
	Leases map[int64]Lease
}

// Process is one process of a fleet.
type Process struct {
	Owner, Role   string
	Publishing    bool
	Started, Seen time.Time
	Counters      map[string]int64
}

// Lease is a source's lease: the process fetching it, and until when.
type Lease struct {
	Owner string
	Until time.Time
}

//go:embed admin.html
var pageText string

var page = template.Must(template.New("admin").Parse(pageText))

// Handler serves GET /admin (the page) and POST /admin/action (the
// actions). Mount it at both "/admin" and "/admin/".
func Handler(opts Options) http.Handler {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	h := &handler{opts: opts, notes: newNotes(), strikes: newStrikes(), origins: http.NewCrossOriginProtection()}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /admin", h.page)
	mux.HandleFunc("GET /admin/{$}", h.page)
	mux.HandleFunc("POST /admin/action", h.action)
	return mux
}

type handler struct {
	opts    Options
	notes   *notes
	strikes *strikes
	// origins refuses actions sent from another site's page (CSRF): by
	// Sec-Fetch-Site, or by Origin against Host in older browsers.
	origins *http.CrossOriginProtection
}

type row struct {
	ID          int64
	Key         string
	URL         string
	Status      string
	StatusClass string
	LastSuccess string
	LastError   string
	LastErrorAt string
	Errors      int
	NextDue     string
	Paused      bool
	LeasedBy    string
}

type pageData struct {
	Rows []row
	// Counts are the sources by status, those with any, in the order of
	// schedule.Statuses.
	Counts    []count
	Actions   bool
	FetchNow  bool
	Message   string
	Error     string
	Generated string
	// Fleet is set on a fleet's process.
	Fleet *fleetData
}

type fleetData struct {
	Self, Role, Publisher string
	Processes             []processRow
	Leases                int
	Err                   string
}

type processRow struct {
	Owner, Role, Started, Seen, Counters string
	Publishing                           bool
}

type count struct {
	N      int
	Status schedule.Status
}

func (h *handler) when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(h.opts.Location).Format("2006-01-02 15:04:05")
}

func (h *handler) page(w http.ResponseWriter, r *http.Request) {
	sources, err := h.opts.Store.Sources(r.Context())
	if err != nil {
		h.opts.Logger.Error("admin page: read sources", "err", err)
		http.Error(w, "cannot read the sources from the store", http.StatusInternalServerError)
		return
	}
	d := pageData{Actions: h.opts.Token != "", FetchNow: h.opts.FetchNow != nil,
		Message: h.notes.read(r.URL.Query(), "msg"), Error: h.notes.read(r.URL.Query(), "err"), Generated: h.when(h.opts.Now())}
	if h.opts.Keys != nil {
		sources = configured(h.opts.Keys, sources)
	}
	var leases map[int64]Lease
	if h.opts.Fleet != nil {
		f, err := h.opts.Fleet(r.Context())
		d.Fleet = &fleetData{Self: f.Self, Role: f.Role, Publisher: f.Publisher, Leases: len(f.Leases)}
		if err != nil {
			h.opts.Logger.Error("admin page: read the fleet", "err", err)
			d.Fleet.Err = "cannot read the fleet's state from the store"
		}
		for _, p := range f.Processes {
			var c []string
			for _, k := range slices.Sorted(maps.Keys(p.Counters)) {
				c = append(c, fmt.Sprintf("%s %d", k, p.Counters[k]))
			}
			d.Fleet.Processes = append(d.Fleet.Processes, processRow{Owner: p.Owner, Role: p.Role, Publishing: p.Publishing,
				Started: h.when(p.Started), Seen: h.when(p.Seen), Counters: strings.Join(c, ", ")})
		}
		leases = f.Leases
	}
	now := h.opts.Now()
	counts := map[schedule.Status]int{}
	for _, s := range sources {
		status := schedule.StatusOf(s, now)
		counts[status]++
		rw := row{ID: s.ID, Key: s.Key, URL: redact(s.URL), LastSuccess: h.when(s.LastSuccess), LastError: hidePath(s.URL, s.LastError),
			LastErrorAt: h.when(s.LastErrorAt), Errors: s.ConsecutiveErrors, NextDue: "—", Paused: s.Paused,
			Status: status.Chinese() + " " + string(status), StatusClass: status.Label()}
		if h.opts.NextDue != nil && !s.Paused && s.ID != 0 {
			rw.NextDue = h.when(h.opts.NextDue(s))
		}
		if l, ok := leases[s.ID]; ok && s.ID != 0 {
			rw.LeasedBy = l.Owner + " (" + h.when(l.Until) + ")"
		}
		d.Rows = append(d.Rows, rw)
	}
	for _, s := range schedule.Statuses {
		if counts[s] > 0 {
			d.Counts = append(d.Counts, count{counts[s], s})
		}
	}
	var b bytes.Buffer
	if err := page.Execute(&b, d); err != nil {
		h.opts.Logger.Error("admin page: render", "err", err)
		http.Error(w, "cannot render the admin page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Write(b.Bytes())
}

// authorized checks the token from the form or an "Authorization: Bearer"
// header, in constant time.
func (h *handler) authorized(r *http.Request) bool {
	if h.opts.Token == "" {
		return false
	}
	got := r.PostFormValue("token")
	if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		got = v
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(h.opts.Token)) == 1
}

// action runs one of the buttons: fetch=ID, pause=ID or resume=ID.
func (h *handler) action(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			http.Error(w, "form too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	if err := h.origins.Check(r); err != nil {
		h.opts.Logger.Warn("admin action refused: sent from another site's page", "origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
		http.Error(w, "refused: the action was sent from another site's page", http.StatusForbidden)
		return
	}
	if h.opts.Token == "" {
		h.fail(w, r, http.StatusForbidden, "actions are disabled: set admin_token in the configuration")
		return
	}
	who, now := client(r.RemoteAddr), h.opts.Now()
	if wait := h.strikes.wait(who, now); wait > 0 {
		secs := int((wait + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		h.fail(w, r, http.StatusTooManyRequests, fmt.Sprintf("too many wrong admin tokens: try again in %d s", secs))
		return
	}
	if !h.authorized(r) {
		h.strikes.fail(who, now)
		h.opts.Logger.Warn("admin action refused: wrong token", "client", who.String())
		h.fail(w, r, http.StatusForbidden, "wrong admin token")
		return
	}
	h.strikes.succeed(who)
	var verb, idText string
	for _, v := range []string{"fetch", "pause", "resume"} {
		if s := r.PostFormValue(v); s != "" {
			verb, idText = v, s
			break
		}
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	if verb == "" || err != nil {
		h.fail(w, r, http.StatusBadRequest, "no action: send fetch, pause or resume with a source ID")
		return
	}
	src, err := h.source(r.Context(), id)
	if err != nil {
		h.fail(w, r, http.StatusNotFound, err.Error())
		return
	}
	var msg string
	switch verb {
	case "fetch":
		if h.opts.FetchNow == nil {
			h.fail(w, r, http.StatusNotImplemented, "fetch now needs feedmill serve")
			return
		}
		if err := h.opts.FetchNow(r.Context(), src); err != nil {
			h.fail(w, r, http.StatusServiceUnavailable, "fetch "+src.Key+": "+err.Error())
			return
		}
		msg = "已安排抓取 fetch queued: " + src.Key
	case "pause", "resume":
		if err := h.opts.Store.SetPaused(r.Context(), id, verb == "pause"); err != nil {
			h.fail(w, r, http.StatusInternalServerError, err.Error())
			return
		}
		msg = map[string]string{"pause": "已暂停 paused: ", "resume": "已恢复 resumed: "}[verb] + src.Key
	}
	h.opts.Logger.Info("admin action", "action", verb, "source", src.Key)
	h.done(w, r, http.StatusOK, "msg", msg)
}

func (h *handler) source(ctx context.Context, id int64) (store.Source, error) {
	all, err := h.opts.Store.Sources(ctx)
	if err != nil {
		return store.Source{}, err
	}
	for _, s := range all {
		if s.ID == id {
			return s, nil
		}
	}
	return store.Source{}, fmt.Errorf("no source with ID %d: %w", id, store.ErrNotFound)
}

func (h *handler) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	h.done(w, r, status, "err", msg)
}

// done answers a browser's form with a redirect back to the page, which
// shows the message, and a script (curl with a Bearer token) with the
// status and the message as text.
func (h *handler) done(w http.ResponseWriter, r *http.Request, status int, key, msg string) {
	if r.Header.Get("Authorization") == "" && strings.Contains(r.Header.Get("Accept"), "text/html") {
		http.Redirect(w, r, "/admin?"+h.notes.query(key, msg), http.StatusSeeOther)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintln(w, msg)
}

// localPath is the path of a file: URL, "" for other URLs.
func localPath(u *url.URL) string {
	if !strings.EqualFold(u.Scheme, "file") {
		return ""
	}
	if u.Path != "" {
		return u.Path
	}
	return u.Opaque
}

// hidePath replaces, in a local file source's error, the file's path by
// its name: the page is readable by anyone who reaches the server.
func hidePath(rawURL, msg string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return msg
	}
	p := localPath(u)
	if p == "" || msg == "" {
		return msg
	}
	msg = strings.ReplaceAll(msg, rawURL, path.Base(p))
	msg = strings.ReplaceAll(msg, p, path.Base(p))
	if dir := path.Dir(p); dir != "/" && dir != "." {
		msg = strings.ReplaceAll(msg, dir, "…")
	}
	return msg
}

// redact hides credentials in a source URL: its user info and the values
// of key-like query parameters (an RSSHub access key, for one); and the
// path of a local file, whose name alone is shown.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	if p := localPath(u); p != "" {
		return "本地文件 local file: " + path.Base(p)
	}
	if u.User != nil {
		u.User = url.User("***")
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			switch strings.ToLower(k) {
			case "key", "token", "access_key", "accesskey", "apikey", "api_key", "secret", "password", "auth", "code", "sign", "signature":
				q.Set(k, "***")
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// configured returns the row of each key, in the keys' order: the
// store's, or an empty one (never fetched, ID 0) for a source the store
// has not seen yet.
func configured(keys []string, rows []store.Source) []store.Source {
	byKey := store.ByKey(rows)
	out := make([]store.Source, len(keys))
	for i, k := range keys {
		out[i] = byKey[k]
		out[i].Key = k
	}
	return out
}
