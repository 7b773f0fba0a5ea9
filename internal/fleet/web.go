package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/feedmill/feedmill/internal/store/postgres"
)

// View is the fleet as the database shows it: its processes, the
// publisher, and the leases held.
type View struct {
	Self      Snapshot
	Publisher string
	Processes []postgres.Process
	Leases    []LeaseView
}

// LeaseView is a held lease with its source's key.
type LeaseView struct {
	Source string
	Owner  string
	Until  time.Time
}

// processWindow is how long a process that stopped reporting stays in
// the views: a few heartbeats.
const processWindow = 30 * time.Second

// Look reads the fleet's state.
func Look(ctx context.Context, st *postgres.Store) (View, error) {
	var v View
	var err error
	if v.Publisher, err = st.Publisher(ctx); err != nil {
		return v, err
	}
	if v.Processes, err = st.Processes(ctx, processWindow); err != nil {
		return v, err
	}
	leases, err := st.Leases(ctx)
	if err != nil {
		return v, err
	}
	if len(leases) > 0 {
		rows, err := st.Sources(ctx)
		if err != nil {
			return v, err
		}
		for _, row := range rows {
			if l, ok := leases[row.ID]; ok {
				v.Leases = append(v.Leases, LeaseView{Source: row.Key, Owner: l.Owner, Until: l.Until})
			}
		}
	}
	return v, nil
}

// Handler serves the process's /healthz, /metrics and /admin, each with
// the fleet's state. site, when not nil, serves the rest (the site's
// folder, on a publisher).
func (p *Process) Handler(site http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", p.healthz)
	mux.HandleFunc("GET /metrics", p.metrics)
	mux.HandleFunc("GET /admin", p.admin)
	if site != nil {
		mux.Handle("GET /", site)
	}
	return mux
}

func (p *Process) view(r *http.Request) (View, error) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	v, err := Look(ctx, p.opts.Store)
	v.Self = p.Snapshot()
	return v, err
}

func (p *Process) healthz(w http.ResponseWriter, r *http.Request) {
	v, err := p.view(r)
	body := map[string]any{
		"status":     "ok",
		"owner":      v.Self.Owner,
		"role":       v.Self.Role,
		"publishing": v.Self.Publishing,
		"publisher":  v.Publisher,
		"counters":   v.Self.Counters,
		"processes":  len(v.Processes),
		"leases":     v.Leases,
	}
	code := http.StatusOK
	if err != nil {
		body["status"], body["error"] = "store failing", err.Error()
		code = http.StatusServiceUnavailable
	} else if v.Self.Err != nil {
		body["last_error"] = v.Self.Err.Error()
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(body)
}

func (p *Process) metrics(w http.ResponseWriter, r *http.Request) {
	v, err := p.view(r)
	var b strings.Builder
	s := v.Self
	names := []string{CountFetched, CountFailed, CountNewItems, CountPublished, CountTakeovers, CountSiteBuilds}
	for _, name := range names {
		fmt.Fprintf(&b, "# TYPE feedmill_fleet_%s_total counter\nfeedmill_fleet_%s_total{owner=%q,role=%q} %d\n", name, name, s.Owner, s.Role, s.Counters[name])
	}
	pub := 0
	if s.Publishing {
		pub = 1
	}
	fmt.Fprintf(&b, "# TYPE feedmill_fleet_publishing gauge\nfeedmill_fleet_publishing{owner=%q} %d\n", s.Owner, pub)
	if err == nil {
		held := map[string]int{}
		for _, l := range v.Leases {
			held[l.Owner]++
		}
		fmt.Fprintf(&b, "# TYPE feedmill_fleet_processes gauge\nfeedmill_fleet_processes %d\n", len(v.Processes))
		fmt.Fprintf(&b, "# TYPE feedmill_fleet_leases gauge\n")
		owners := make([]string, 0, len(held))
		for o := range held {
			owners = append(owners, o)
		}
		slices.Sort(owners)
		for _, o := range owners {
			fmt.Fprintf(&b, "feedmill_fleet_leases{owner=%q} %d\n", o, held[o])
		}
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprint(w, b.String())
}

var adminPage = template.Must(template.New("fleet").Parse(`<!doctype html>
<meta charset="utf-8"><title>feedmill fleet</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:.2em .8em;border-bottom:1px solid #ddd;text-align:left}</style>
<h1>feedmill fleet</h1>
<p>This process: <b>{{.Self.Owner}}</b>, role {{.Self.Role}}{{if .Self.Publishing}}, publishing{{end}}.
Publisher: <b>{{if .Publisher}}{{.Publisher}}{{else}}none{{end}}</b>.</p>
{{if .Err}}<p><b>The store fails:</b> {{.Err}}</p>{{end}}
<h2>Processes</h2>
<table><tr><th>owner<th>role<th>publishing<th>started<th>last seen<th>counters</tr>
{{range .Processes}}<tr><td>{{.Owner}}<td>{{.Role}}<td>{{if .Publishing}}yes{{end}}<td>{{.Started.Format "2006-01-02 15:04:05"}}<td>{{.Seen.Format "15:04:05"}}<td>{{range $k, $v := .Counters}}{{$k}} {{$v}}; {{end}}</tr>
{{end}}</table>
<h2>Leases ({{len .Leases}})</h2>
<table><tr><th>source<th>held by<th>until</tr>
{{range .Leases}}<tr><td>{{.Source}}<td>{{.Owner}}<td>{{.Until.Format "15:04:05"}}</tr>
{{end}}</table>
`))

func (p *Process) admin(w http.ResponseWriter, r *http.Request) {
	v, err := p.view(r)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	data := struct {
		View
		Err error
	}{v, err}
	if err := adminPage.Execute(w, data); err != nil {
		p.opts.Logger.Warn("admin page", "error", err)
	}
}
