package site_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/feedmill/feedmill/internal/site"
)

const chromiumPath = "/usr/bin/chromium"

// testImage is a picture for the feed bodies, served by the test server:
// a colour band per image number, so screenshots show which is which.
func testImage(n int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 480, 270))
	base := []color.RGBA{{0xd3, 0x2f, 0x2f, 255}, {0x19, 0x76, 0xd2, 255}, {0x38, 0x8e, 0x3c, 255}, {0xf5, 0x7c, 0x00, 255}}[n%4]
	for y := 0; y < 270; y++ {
		for x := 0; x < 480; x++ {
			f := uint8(255 * x / 480 / 3)
			img.Set(x, y, color.RGBA{base.R/2 + f/2, base.G/2 + f/2, base.B/2 + f/2, 255})
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// browserErrors collects what the page reports as going wrong: console
// errors and warnings, uncaught exceptions, and log entries (failed
// loads, CSP violations).
type browserErrors struct {
	mu   sync.Mutex
	list []string
}

func (e *browserErrors) add(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, s)
}

func (e *browserErrors) take() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := e.list
	e.list = nil
	return out
}

func listen(ctx context.Context, errs *browserErrors) {
	console := chromedp.Events(ctx, runtime.ConsoleAPICalled)
	exceptions := chromedp.Events(ctx, runtime.ExceptionThrown)
	logs := chromedp.Events(ctx, cdplog.EntryAdded)
	go func() {
		for ev, err := range console {
			if err != nil {
				return
			}
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				errs.add(fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
			}
		}
	}()
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			errs.add("exception: " + ev.ExceptionDetails.Text)
		}
	}()
	go func() {
		for ev, err := range logs {
			if err != nil {
				return
			}
			if ev.Entry.Level == cdplog.EntryLevelError || ev.Entry.Level == cdplog.EntryLevelWarning {
				errs.add(fmt.Sprintf("log %s: %s %s", ev.Entry.Level, ev.Entry.Text, ev.Entry.URL))
			}
		}
	}()
}

// TestSiteInChromium builds a site of Chinese news with images, serves
// it on loopback and reads it in headless Chromium as a phone would: the
// home page, the next page, a channel page, a post and a search.
func TestSiteInChromium(t *testing.T) {
	if _, err := exec.LookPath(chromiumPath); err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("chromium is not installed (.ci/deps/chromium.sh installs it); skipped outside CI")
		}
		t.Fatalf("CI needs %s: %v", chromiumPath, err)
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	f := newFixture(t, base+"/testimg")
	f.add(t, 0, 12, 0, "a")
	f.add(t, 1, 6, -20*time.Minute, "b")
	f.add(t, 2, 5, -40*time.Minute, "c")
	dir := t.TempDir()
	cfg := site.Config{Dir: dir, Title: "今日新闻", Description: "来自 RSSHub 的中文新闻", PerPage: 5, Location: time.FixedZone("CST", 8*3600)}
	if _, err := site.Build(t.Context(), f.st, cfg, site.Options{}); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /testimg/img/{n}", func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscanf(r.PathValue("n"), "%d.png", &n)
		w.Header().Set("Content-Type", "image/png")
		w.Write(testImage(n))
	})
	mux.Handle("/", site.Handler(cfg))
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	defer srv.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(412, 915),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(actx)
	defer cancelTab()
	ctx, cancelTime := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTime()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(412, 915, chromedp.EmulateScale(2))); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	var errs browserErrors
	listen(ctx, &errs)

	shots := t.TempDir()
	shot := func(name string) {
		t.Helper()
		buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name), buf, 0o644); err != nil {
			t.Fatal(err)
		}
		if d := os.Getenv("FEEDMILL_SHOTS"); d != "" {
			out := "/tmp/feedmill-shots"
			if err := os.MkdirAll(out, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(out, name), buf, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	eval := func(expr string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("evaluate %s: %v", expr, err)
		}
		return v
	}
	// waitFor evaluates expr until it is true. It retries on errors: a
	// navigation destroys the page's context under a running evaluation.
	waitFor := func(expr string) error {
		deadline := time.Now().Add(10 * time.Second)
		for {
			ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
			if err == nil && ok {
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s: still not true after 10s (last error: %v)", expr, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// imagesOK checks every image of the page: no referrer, lazy, and
	// (once scrolled to) loaded.
	imagesOK := func(page string, min int) {
		t.Helper()
		got := eval(`(() => {
			const imgs = Array.from(document.images);
			const bad = imgs.filter(i => i.getAttribute('referrerpolicy') !== 'no-referrer' || i.getAttribute('loading') !== 'lazy');
			return imgs.length + ' ' + bad.map(i => i.outerHTML).join(' ');
		})()`)
		n := 0
		fmt.Sscanf(got, "%d", &n)
		if n < min || strings.Contains(got, "<img") {
			t.Errorf("%s: images: %s", page, got)
		}
		if min > 0 {
			if err := waitFor(`(() => { const i = document.images[0]; i.scrollIntoView(); return i.complete && i.naturalWidth === 480; })()`); err != nil {
				t.Errorf("%s: first image did not load: %v", page, err)
			}
			chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
		}
	}
	noErrors := func(page string) {
		t.Helper()
		if w := eval(`String(document.documentElement.scrollWidth <= window.innerWidth)`); w != "true" {
			t.Errorf("%s scrolls sideways on a phone", page)
		}
		time.Sleep(200 * time.Millisecond) // let late events arrive
		for _, e := range errs.take() {
			t.Errorf("%s: %s", page, e)
		}
	}
	clickAndWait := func(sel, wait string) {
		t.Helper()
		before := eval(`location.href`)
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible)); err != nil {
			t.Fatalf("click %s: %v", sel, err)
		}
		if err := waitFor(fmt.Sprintf(`location.href !== %q && document.readyState === 'complete' && !!document.querySelector(%q)`, before, wait)); err != nil {
			t.Fatalf("after clicking %s: %v", sel, err)
		}
	}

	// Home.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("ul.posts li.entry"))); err != nil {
		t.Fatal(err)
	}
	if title := eval(`document.title`); title != "今日新闻" {
		t.Errorf("home title %q", title)
	}
	if font := eval(`getComputedStyle(document.body).fontFamily`); !strings.Contains(font, "WenQuanYi Micro Hei") {
		t.Errorf("font stack %q", font)
	}
	firstHome := eval(`document.querySelector('.entry h2 a').textContent`)
	imagesOK("home", 1)
	shot("1-home.png")
	noErrors("home")

	// Pagination: "较早" leads to the next page of older posts.
	clickAndWait("a.older", ".entry h2 a")
	if loc := eval(`location.pathname`); !strings.HasPrefix(loc, "/page/") {
		t.Errorf("older link went to %s", loc)
	}
	if first := eval(`document.querySelector('.entry h2 a').textContent`); first == firstHome {
		t.Errorf("page 2 starts with the home page's first post %q", first)
	}
	if n := eval(`String(document.querySelectorAll('.entry').length)`); n != "5" {
		t.Errorf("archived page has %s posts, want 5", n)
	}
	noErrors("page 2")

	// A channel page, reached from a post's source link.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/categories/")); err != nil {
		t.Fatal(err)
	}
	clickAndWait(".tree .chips a", "h1")
	if h := eval(`document.querySelector('h1').textContent`); h != "国际" && h != "头条" && h != "要闻" {
		t.Errorf("channel page heading %q", h)
	}
	if crumbs := eval(`document.querySelector('.crumbs').textContent`); !strings.Contains(crumbs, "›") {
		t.Errorf("channel crumbs %q", crumbs)
	}
	imagesOK("channel", 1)
	shot("2-channel.png")
	noErrors("channel")

	// A post with an image.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/categories/新媒体/观察者网/头条/")); err != nil {
		t.Fatal(err)
	}
	postTitle := eval(`document.querySelector('.entry:has(.thumb) h2 a').textContent`)
	clickAndWait(".entry:has(.thumb) h2 a", "article h1")
	if h := eval(`document.querySelector('article h1').textContent`); h != postTitle {
		t.Errorf("post heading %q, want %q", h, postTitle)
	}
	if body := eval(`document.querySelector('.content').textContent`); !strings.Contains(body, "新华社北京5月20日电") {
		t.Errorf("post body %q", body)
	}
	if orig := eval(`document.querySelector('.original a').href`); !strings.HasPrefix(orig, "https://news.example/") {
		t.Errorf("original link %q", orig)
	}
	imagesOK("post", 1)
	shot("3-post.png")
	noErrors("post")

	// Search: by URL, then by typing.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/search.html?q=嫦娥")); err != nil {
		t.Fatal(err)
	}
	if err := waitFor(`document.querySelectorAll('#results li').length > 0 && document.getElementById('status').textContent.startsWith('找到')`); err != nil {
		t.Fatalf("search gave no hits: %v (status %q)", err, eval(`document.getElementById('status').textContent`))
	}
	hits := eval(`Array.from(document.querySelectorAll('#results li h2')).map(h => h.textContent).join('|')`)
	for _, h := range strings.Split(hits, "|") {
		if !strings.Contains(h, "嫦娥") {
			t.Errorf("search hit %q lacks the query", h)
		}
	}
	if marks := eval(`String(document.querySelectorAll('#results mark').length)`); marks == "0" {
		t.Error("search hits are not highlighted")
	}
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById('q').value = ''`), chromedp.SendKeys(chromedp.CSS("#q"), "铁路 客流")); err != nil {
		t.Fatal(err)
	}
	if err := waitFor(`(() => { const h = Array.from(document.querySelectorAll('#results li h2')); return h.length > 0 && h.every(x => x.textContent.includes('铁路')); })()`); err != nil {
		t.Errorf("typed search: %v; results %q", err, eval(`document.getElementById('results').textContent`))
	}
	shot("4-search.png")
	noErrors("search")
}
