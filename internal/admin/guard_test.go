package admin_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/admin"
	"github.com/feedmill/feedmill/internal/feed"
)

// post sends an action as a browser at addr would, with extra headers.
func post(h http.Handler, addr string, form url.Values, hdr map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "http://feeds.example:8080/admin/action", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = addr
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// The page shows only the messages the server itself set: a link crafted
// with any text in msg or err shows nothing of it.
func TestPageShowsOnlyItsOwnMessages(t *testing.T) {
	st, ok, _ := setup(t)
	h := admin.Handler(admin.Options{Store: st, Token: token})
	for _, q := range []string{
		"?msg=" + url.QueryEscape("令牌已过期，请访问 evil.example 重新登录"),
		"?err=" + url.QueryEscape("令牌已过期，请访问 evil.example 重新登录"),
		"?msg=" + url.QueryEscape("令牌已过期，请访问 evil.example 重新登录") + "&sig=AAAA",
	} {
		body := do(h, "GET", "/admin"+q, nil, nil).Body.String()
		if strings.Contains(body, "evil.example") || strings.Contains(body, `class="msg"`) || strings.Contains(body, `class="err"`) {
			t.Errorf("%s: the page shows the link's text", q)
		}
	}
	// What the server says after an action is shown.
	rec := do(h, "POST", "/admin/action", url.Values{"pause": {itoa(ok.ID)}, "token": {token}}, map[string]string{"Accept": "text/html"})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("pause: %d", rec.Code)
	}
	loc := rec.Header().Get("Location")
	if body := do(h, "GET", loc, nil, nil).Body.String(); !strings.Contains(body, "已暂停 paused: "+ok.Key) {
		t.Errorf("the page at %s does not say the source was paused", loc)
	}
	// Its text cannot be changed while keeping the rest of the link.
	forged := strings.Replace(loc, url.QueryEscape(ok.Key), url.QueryEscape("evil.example"), 1)
	if forged == loc {
		forged = loc + "&msg=evil.example"
	}
	if body := do(h, "GET", forged, nil, nil).Body.String(); strings.Contains(body, "evil.example") {
		t.Errorf("a changed link %s shows its text", forged)
	}
}

// An action from another site's page is refused, even with the token (a
// browser that remembered it in the form); scripts, which send neither
// Origin nor Sec-Fetch-Site, and the page itself are not.
func TestActionsRefuseOtherOrigins(t *testing.T) {
	st, ok, _ := setup(t)
	h := admin.Handler(admin.Options{Store: st, Token: token})
	form := url.Values{"pause": {itoa(ok.ID)}, "token": {token}}
	for _, tc := range []struct {
		name string
		hdr  map[string]string
		want int
	}{
		{"cross-site fetch metadata", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, 403},
		{"same-site fetch metadata", map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "http://other.feeds.example:8080"}, 403},
		{"another origin, older browser", map[string]string{"Origin": "https://evil.example"}, 403},
		{"another port, older browser", map[string]string{"Origin": "http://feeds.example:9999"}, 403},
		{"an opaque origin", map[string]string{"Origin": "null"}, 403},
		{"the page itself", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://feeds.example:8080"}, 200},
		{"the page itself, older browser", map[string]string{"Origin": "http://feeds.example:8080"}, 200},
		{"a script", nil, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := post(h, "192.0.2.1:1234", form, tc.hdr)
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.want, rec.Body)
			}
			rows, _ := st.Sources(t.Context())
			for _, r := range rows {
				if r.ID == ok.ID && r.Paused != (tc.want == 200) {
					t.Errorf("paused = %v after a %d", r.Paused, rec.Code)
				}
			}
			st.SetPaused(t.Context(), ok.ID, false)
		})
	}
}

// Wrong tokens from one client are slowed: after a few, that client is
// told to wait, and is refused even the right token until then; other
// clients are not.
func TestWrongTokensAreSlowed(t *testing.T) {
	st, ok, _ := setup(t)
	now := time.Date(2024, 5, 20, 8, 0, 0, 0, time.UTC)
	h := admin.Handler(admin.Options{Store: st, Token: token, Now: func() time.Time { return now }})
	wrong := url.Values{"fetch": {itoa(ok.ID)}, "token": {"guess"}}
	right := url.Values{"pause": {itoa(ok.ID)}, "token": {token}}
	const guesser, other = "198.51.100.7:5000", "203.0.113.9:6000"

	refused := 0
	for range 50 {
		rec := post(h, guesser, wrong, nil)
		if rec.Code == http.StatusTooManyRequests {
			if rec.Header().Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
			break
		}
		if rec.Code != http.StatusForbidden {
			t.Fatalf("wrong token: status %d", rec.Code)
		}
		refused++
	}
	if refused == 0 || refused >= 50 {
		t.Fatalf("%d wrong tokens answered 403 before a 429", refused)
	}
	rec := post(h, guesser, right, nil)
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("the right token while told to wait: status %d, want 429", rec.Code)
	}
	wait1 := rec.Header().Get("Retry-After")
	if rec := post(h, other, right, nil); rec.Code != http.StatusOK {
		t.Fatalf("another client: status %d", rec.Code)
	}
	st.SetPaused(t.Context(), ok.ID, false)

	now = now.Add(time.Hour)
	if rec := post(h, guesser, right, nil); rec.Code != http.StatusOK {
		t.Fatalf("the right token after the wait (%s s): status %d", wait1, rec.Code)
	}
	st.SetPaused(t.Context(), ok.ID, false)
	// A success forgives: the next wrong token is a plain 403.
	if rec := post(h, guesser, wrong, nil); rec.Code != http.StatusForbidden {
		t.Errorf("a wrong token after a success: status %d, want 403", rec.Code)
	}
}

// A local file source shows its file's name, never its path, in its URL
// and in its error.
func TestLocalFileSourcesShowNoPath(t *testing.T) {
	st, _, _ := setup(t)
	src, err := st.EnsureSource(t.Context(), feed.Source{Group: "本地", Name: "文件", Channel: "测试", URL: "file:///home/alice/private/feeds/local.xml"})
	if err != nil {
		t.Fatal(err)
	}
	st.RecordFailure(t.Context(), src.ID, "open /home/alice/private/feeds/local.xml: no such file or directory", time.Now())
	body := do(admin.Handler(admin.Options{Store: st}), "GET", "/admin", nil, nil).Body.String()
	if strings.Contains(body, "/home/alice") || strings.Contains(body, "private/feeds") {
		t.Errorf("the page shows the local path")
	}
	if !strings.Contains(body, "local.xml") {
		t.Errorf("the page does not name the local file")
	}
}

// A form larger than an action needs is refused whole.
func TestLargeFormIsRefused(t *testing.T) {
	st, ok, _ := setup(t)
	h := admin.Handler(admin.Options{Store: st, Token: token})
	form := url.Values{"pause": {itoa(ok.ID)}, "token": {token}, "pad": {strings.Repeat("a", 100<<10)}}
	if rec := post(h, "192.0.2.1:1234", form, nil); rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", rec.Code)
	}
	if rows, _ := st.Sources(t.Context()); rows[0].Paused || rows[1].Paused {
		t.Error("a refused form paused a source")
	}
}
