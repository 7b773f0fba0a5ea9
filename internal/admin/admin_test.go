package admin_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/admin"
	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/store"
	"github.com/feedmill/feedmill/internal/store/sqlite"
)

const token = "s3cret-admin-token-123"

func setup(t *testing.T) (*sqlite.Store, store.Source, store.Source) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "feedmill.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ok, err := st.EnsureSource(t.Context(), feed.Source{Group: "新媒体", Name: "观察者网", Channel: "头条", URL: "https://rsshub.example/guancha/headline?key=topsecret"})
	if err != nil {
		t.Fatal(err)
	}
	bad, err := st.EnsureSource(t.Context(), feed.Source{Group: "新媒体", Name: "澎湃", Channel: "要闻", URL: "https://rsshub.example/thepaper"})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 5, 20, 8, 0, 0, 0, time.UTC)
	st.RecordSuccess(t.Context(), ok.ID, store.FetchResult{At: at})
	st.RecordFailure(t.Context(), bad.ID, "fetch: 503 Service Unavailable", at)
	return st, ok, bad
}

func do(h http.Handler, method, path string, form url.Values, hdr map[string]string) *httptest.ResponseRecorder {
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestPageIsReadableWithoutToken(t *testing.T) {
	st, ok, _ := setup(t)
	due := time.Date(2024, 5, 20, 8, 30, 0, 0, time.UTC)
	h := admin.Handler(admin.Options{Store: st, NextDue: func(s store.Source) time.Time {
		if s.ID == ok.ID {
			return due
		}
		return time.Time{}
	}, Location: time.FixedZone("CST", 8*3600)})
	for _, path := range []string{"/admin", "/admin/"} {
		rec := do(h, "GET", path, nil, nil)
		if rec.Code != 200 {
			t.Fatalf("%s: %d", path, rec.Code)
		}
		body := rec.Body.String()
		for _, want := range []string{"新媒体/观察者网/头条", "正常 ok", "失败 failing", "503 Service Unavailable", "2024-05-20 16:30:00", "2024-05-20 16:00:00", "key=%2A%2A%2A", "只读"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %q", path, want)
			}
		}
		if strings.Contains(body, "topsecret") || strings.Contains(body, "<button") {
			t.Errorf("%s shows a secret or action buttons", path)
		}
	}
}

func TestActionsNeedTheToken(t *testing.T) {
	st, ok, bad := setup(t)
	var fetched []string
	fetchNow := func(_ context.Context, s store.Source) error { fetched = append(fetched, s.Key); return nil }
	h := admin.Handler(admin.Options{Store: st, Token: token, FetchNow: fetchNow})
	html := map[string]string{"Accept": "text/html"}

	if rec := do(h, "GET", "/admin", nil, nil); !strings.Contains(rec.Body.String(), `<button name="pause" value="`) {
		t.Errorf("no pause buttons with a token configured")
	}
	tests := []struct {
		name   string
		form   url.Values
		hdr    map[string]string
		status int
	}{
		{"no token", url.Values{"pause": {itoa(ok.ID)}}, nil, 403},
		{"wrong token", url.Values{"pause": {itoa(ok.ID)}, "token": {token + "x"}}, nil, 403},
		{"prefix of the token", url.Values{"pause": {itoa(ok.ID)}, "token": {token[:5]}}, nil, 403},
		{"unknown source", url.Values{"pause": {"999"}, "token": {token}}, nil, 404},
		{"no action", url.Values{"token": {token}}, nil, 400},
		{"browser: wrong token redirects with the error", url.Values{"pause": {itoa(ok.ID)}, "token": {"nope"}}, html, 303},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(h, "POST", "/admin/action", tc.form, tc.hdr)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
		})
	}
	if rows, _ := st.Sources(t.Context()); rows[0].Paused || rows[1].Paused {
		t.Fatal("a refused action paused a source")
	}

	rec := do(h, "POST", "/admin/action", url.Values{"pause": {itoa(bad.ID)}, "token": {token}}, html)
	if rec.Code != 303 || !strings.Contains(rec.Header().Get("Location"), "msg=") {
		t.Fatalf("pause: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	page := do(h, "GET", rec.Header().Get("Location"), nil, nil).Body.String()
	if !strings.Contains(page, "已暂停 paused: 新媒体/澎湃/要闻") || !strings.Contains(page, `<button name="resume" value="`+itoa(bad.ID)+`">`) {
		t.Errorf("page after pause does not show it")
	}
	rec = do(h, "POST", "/admin/action", url.Values{"resume": {itoa(bad.ID)}}, map[string]string{"Authorization": "Bearer " + token})
	if rec.Code != 200 {
		t.Fatalf("resume with bearer: %d %s", rec.Code, rec.Body)
	}
	rec = do(h, "POST", "/admin/action", url.Values{"fetch": {itoa(ok.ID)}}, map[string]string{"Authorization": "Bearer " + token})
	if rec.Code != 200 || len(fetched) != 1 || fetched[0] != ok.Key {
		t.Errorf("fetch now: %d, fetched %q", rec.Code, fetched)
	}
	if rows, _ := st.Sources(t.Context()); rows[0].Paused || rows[1].Paused {
		t.Error("resume did not resume")
	}
}

func TestActionsDisabledWithoutToken(t *testing.T) {
	st, ok, _ := setup(t)
	h := admin.Handler(admin.Options{Store: st})
	rec := do(h, "POST", "/admin/action", url.Values{"pause": {itoa(ok.ID)}, "token": {""}}, nil)
	if rec.Code != 403 || !strings.Contains(rec.Body.String(), "admin_token") {
		t.Errorf("status %d: %s", rec.Code, rec.Body)
	}
	h = admin.Handler(admin.Options{Store: st, Token: token})
	rec = do(h, "POST", "/admin/action", url.Values{"fetch": {itoa(ok.ID)}, "token": {token}}, nil)
	if rec.Code != http.StatusNotImplemented {
		t.Errorf("fetch without a fetcher: %d", rec.Code)
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// A fleet's process shows the fleet above the sources, and who holds
// each source's lease.
func TestPageShowsTheFleet(t *testing.T) {
	st, ok, bad := setup(t)
	seen := time.Date(2024, 5, 20, 8, 31, 0, 0, time.UTC)
	fleet := admin.Fleet{
		Self: "web:1", Role: "publish", Publisher: "pub:9",
		Processes: []admin.Process{
			{Owner: "fetch:3", Role: "fetch", Started: seen.Add(-time.Hour), Seen: seen, Counters: map[string]int64{"sources_fetched": 12, "items_stored": 240}},
			{Owner: "pub:9", Role: "publish", Publishing: true, Started: seen.Add(-time.Hour), Seen: seen},
		},
		Leases: map[int64]admin.Lease{ok.ID: {Owner: "fetch:3", Until: seen.Add(2 * time.Minute)}},
	}
	h := admin.Handler(admin.Options{Store: st, Fleet: func(context.Context) (admin.Fleet, error) { return fleet, nil }})
	body := do(h, "GET", "/admin", nil, nil).Body.String()
	for _, want := range []string{"web:1", "发布者 publisher: <strong>pub:9</strong>", "1 个租约 leases held",
		"<strong>fetch:3</strong>", "items_stored 240, sources_fetched 12", "是 yes", "fetch:3 (2024-05-20 08:33:00)"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	// The other source is not leased.
	i := strings.Index(body, bad.Key)
	if i < 0 || !strings.Contains(body[i:], `<td data-label="租约 leased by">—</td>`) {
		t.Errorf("the unleased source shows no empty lease")
	}

	// Without Fleet, no such column.
	body = do(admin.Handler(admin.Options{Store: st}), "GET", "/admin", nil, nil).Body.String()
	if strings.Contains(body, "租约") || strings.Contains(body, "集群") {
		t.Error("a page outside a fleet shows the fleet")
	}
}
