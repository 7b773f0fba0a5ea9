package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/fleet"
	"github.com/feedmill/feedmill/internal/schedule"
	"github.com/feedmill/feedmill/internal/store"
	"github.com/feedmill/feedmill/internal/store/backend"
	"github.com/feedmill/feedmill/internal/store/postgres"
)

const sourcesUsage = `Usage: feedmill sources [--config PATH] [--failing]

Lists every configured source: its status, its last success, its
consecutive errors, when it is due next and its last error. The statuses
are those of every surface (run, /admin, /healthz, /metrics):

  ok             the last fetch succeeded
  failing        the last fetch failed
  backing off    3 or more fetches in a row failed: fetched less often
  waiting        the server asked to wait (429, 503, Retry-After) until NEXT DUE
  paused         paused by an operator (feedmill pause, /admin) until resumed
  never fetched  not fetched yet

--failing lists only the sources whose last fetch failed.

Flags:
`

// maxErrorWidth bounds the last-error column; the full text is in the
// daemon's log.
const maxErrorWidth = 160

func sourcesCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, configPath := configFlags("sources", sourcesUsage)
	failing := fs.Bool("failing", false, "list only the sources whose last fetch failed")
	if ok, code := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	cfg, code := loadConfig(ctx, *configPath, stderr)
	if code != exitOK {
		return code
	}
	rows, fleetView, err := sourceRows(ctx, cfg.StoreDSN())
	if err != nil {
		fmt.Fprintf(stderr, "feedmill: store: %v\n", err)
		return exitProblem
	}
	now := time.Now()
	table := [][]string{{"SOURCE", "STATUS", "ERRORS", "LAST SUCCESS", "NEXT DUE", "LAST ERROR"}}
	leases := map[string]fleet.LeaseView{}
	if fleetView != nil {
		// A fleet's store: who holds each source now.
		table[0] = append(table[0][:5], "LEASED BY", "LAST ERROR")
		for _, l := range fleetView.Leases {
			leases[l.Source] = l
		}
	}
	counts := map[schedule.Status]int{}
	for _, src := range cfg.FeedSources() {
		row := rows[src.Key()] // the zero row: never fetched
		status := schedule.StatusOf(row, now)
		counts[status]++
		if *failing && row.LastError == "" { // a refusal is not counted as an error, but listed
			continue
		}
		next := "now"
		if row.Paused {
			next = "on resume" // not fetched until resumed
		} else if !schedule.Due(row, now) {
			next = clock(row.NextDue, now)
		}
		line := []string{src.Key(), string(status), fmt.Sprint(row.ConsecutiveErrors), clock(row.LastSuccess, now), next}
		if fleetView != nil {
			held := "-"
			if l, ok := leases[src.Key()]; ok {
				held = l.Owner + " until " + clock(l.Until, now)
			}
			line = append(line, held)
		}
		table = append(table, append(line, oneLine(lastError(row, src), maxErrorWidth)))
	}
	if len(table) > 1 {
		writeTable(stdout, table)
	}
	var parts []string
	for _, s := range schedule.Statuses {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	fmt.Fprintf(stdout, "%d sources: %s\n", len(cfg.Sources), strings.Join(parts, ", "))
	if fleetView != nil {
		pub := fleetView.Publisher
		if pub == "" {
			pub = "none"
		}
		fmt.Fprintf(stdout, "fleet: %d processes, %d leases held, publisher %s\n", len(fleetView.Processes), len(fleetView.Leases), pub)
		for _, p := range fleetView.Processes {
			fmt.Fprintf(stdout, "  %s %s: %d fetched, %d failed, %d items stored, %d posts written\n", p.Role, p.Owner,
				p.Counters[fleet.CountFetched], p.Counters[fleet.CountFailed], p.Counters[fleet.CountNewItems], p.Counters[fleet.CountPublished])
		}
	}
	return exitOK
}

// sourceRows returns the store's source rows by key, and on a fleet's
// store (PostgreSQL) its view. A store that does not exist yet has none:
// listing sources never creates one.
func sourceRows(ctx context.Context, dsn string) (map[string]store.Source, *fleet.View, error) {
	st, err := backend.OpenExisting(ctx, dsn)
	if errors.Is(err, backend.ErrNoStore) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	defer st.Close()
	rows, err := st.Sources(ctx)
	if err != nil {
		return nil, nil, err
	}
	var view *fleet.View
	if pg, ok := st.(*postgres.Store); ok {
		v, err := fleet.Look(ctx, pg)
		if err != nil {
			return nil, nil, err
		}
		view = &v
	}
	return store.ByKey(rows), view, nil
}

// clock shows a time in the local zone, without the date when it is today.
func clock(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	t, now = t.Local(), now.Local()
	if y, m, d := t.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return t.Format("15:04:05")
	}
	return t.Format("2006-01-02 15:04")
}

// oneLine puts s on one line of at most width characters.
func oneLine(s string, width int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > width {
		return string(r[:width-1]) + "…"
	}
	return s
}

// writeTable writes rows as aligned columns, counting wide characters as
// two columns; the last column is not padded.
func writeTable(w io.Writer, rows [][]string) {
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(c)+2))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// lastError is the source's last error, with the URL it was fetched from.
func lastError(row store.Source, src feed.Source) string {
	if row.LastError == "" {
		return ""
	}
	return withURL(row.LastError, fetchURLOf(row, src))
}
