package admin_test

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/feedmill/feedmill/internal/admin"
	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/store"
)

const chromiumPath = "/usr/bin/chromium"

// On a phone the page reads without scrolling sideways: every source's
// status, times, error and buttons are within the screen's width. It is
// read in headless Chromium at 390 CSS pixels.
func TestPageFitsAPhone(t *testing.T) {
	if _, err := exec.LookPath(chromiumPath); err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("chromium is not installed (.ci/deps/chromium.sh installs it); skipped outside CI")
		}
		t.Fatalf("CI needs %s: %v", chromiumPath, err)
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	st, _, _ := setup(t)
	for _, u := range []string{"https://rsshub.example/cnbeta/topics/a/very/long/route/that/goes/on/and/on/without/any/break", "file:///home/alice/feeds/local-news.xml"} {
		s, err := st.EnsureSource(t.Context(), feed.Source{Group: "科技", Name: "长链接", Channel: u[len(u)-8:], URL: u})
		if err != nil {
			t.Fatal(err)
		}
		st.RecordFailure(t.Context(), s.ID, "fetch "+u+": HTTP 503 Service Unavailable: the server asked to wait 30s", time.Now())
	}
	srv := httptest.NewServer(admin.Handler(admin.Options{Store: st, Token: token,
		FetchNow: func(context.Context, store.Source) error { return nil }}))
	defer srv.Close()

	const width = 390
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, 844),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(actx)
	defer cancelTab()
	ctx, cancelTime := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTime()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/admin")); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("FEEDMILL_SCREENSHOTS"); dir != "" {
		if buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			os.WriteFile(dir+"/admin-phone.png", buf, 0o644)
		}
	}
	// The widest thing on the page, the right edge of any element, must
	// be within the screen; so must every field of every source.
	overflow, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
		const w = document.documentElement.clientWidth, out = [];
		if (document.documentElement.scrollWidth > w) out.push("page is " + document.documentElement.scrollWidth + "px wide");
		for (const el of document.querySelectorAll("td, button, input, .url")) {
			const r = el.getBoundingClientRect();
			if (r.width > 0 && r.right > w + 0.5) out.push(el.tagName + " " + (el.dataset.label || el.className || el.textContent.slice(0, 20)) + " ends at " + Math.round(r.right) + "px");
		}
		return out;
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if len(overflow) > 0 {
		t.Errorf("on a %d px screen: %q", width, overflow)
	}
	// Buttons are big enough for a finger.
	small, err := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll("button")].filter(b => b.getBoundingClientRect().height < 32).length`))
	if err != nil {
		t.Fatal(err)
	}
	if small > 0 {
		t.Errorf("%d buttons are less than 32 px tall", small)
	}
}
