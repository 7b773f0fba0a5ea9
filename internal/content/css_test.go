package content

import (
	"strings"
	"testing"
)

func TestConfinePositions(t *testing.T) {
	for _, tc := range []struct{ name, css, want string }{
		{"nothing to do", "color:red; width:100%", "color:red; width:100%"},
		{"relative stays", "position: relative; top: 2px; z-index: 2", "position: relative; top: 2px; z-index: 2"},
		{"fixed goes", "color:red;position:fixed;top:0", "color:red;top:0"},
		{"last declaration", "color:red; position: fixed", "color:red; "},
		{"sticky", "position:sticky;top:0", "top:0"},
		{"webkit sticky", "position:-webkit-sticky", ""},
		{"absolute", "position:absolute;inset:0", "inset:0"},
		{"important", "position:fixed !important;left:0", "left:0"},
		{"case", "POSITION:FIXED;Z-INDEX:99999", ""},
		{"escaped name", `\70 osition:fixed;x:1`, "x:1"},
		{"escaped value", `position:f\69xed;x:1`, "x:1"},
		{"comments", "position/**/:/**/fixed;x:1", "x:1"},
		{"a variable may be anything", "--p:fixed;position:var(--p)", "--p:fixed;"},
		{"inherit stays", "position:inherit", "position:inherit"},
		{"large z-index", "z-index:2147483647;color:red", "color:red"},
		{"small z-index stays", "z-index:10;z-index:-1;z-index:auto", "z-index:10;z-index:-1;z-index:auto"},
		{"strings are no declarations", `content:"position:fixed;";font-family:'a;position:fixed'`, `content:"position:fixed;";font-family:'a;position:fixed'`},
		{"url", "background:url(a;position:fixed);position:fixed", "background:url(a;position:fixed);"},
		{"custom property value", "--x:position:fixed", "--x:position:fixed"},
		{"rules", ".a{position:fixed;top:0}.b:hover{position:sticky}@media (min-width:600px){p{z-index:1000;color:red}}",
			".a{top:0}.b:hover{}@media (min-width:600px){p{color:red}}"},
		{"scoped", "@scope{div{position:fixed;inset:0;z-index:99999}}", "@scope{div{inset:0;}}"},
		{"selector that looks like one", "position:fixed{color:red}", "position:fixed{color:red}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, changed := confinePositions(tc.css)
			if got != tc.want || changed != (tc.css != tc.want) {
				t.Errorf("confinePositions(%q) = %q, %v; want %q", tc.css, got, changed, tc.want)
			}
			if again, changed := confinePositions(got); changed {
				t.Errorf("not idempotent: %q -> %q", got, again)
			}
		})
	}
}

// A body cannot cover the page around it, in a style attribute or a
// <style> element, whatever the style policy; a body that needs no change
// keeps its bytes.
func TestBodiesStayInPlace(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"overlay", `<div style="position:fixed;top:0;left:0;width:100vw;height:100vh;z-index:99999;background:#fff">广告</div>`,
			`<div style="top:0;left:0;width:100vw;height:100vh;background:#fff">广告</div>`},
		{"entities", `<div style="position&colon;fixed&semi;top:0">x</div>`, `<div style="top:0">x</div>`},
		{"sticky banner", `<p style='position: sticky; top: 0'>关注我们</p>`, `<p style=" top: 0">关注我们</p>`},
		{"style element", `<style>.ad{position:fixed;bottom:0}</style><p class="ad">x</p>`, `<style>@scope{.ad{bottom:0}}</style><p class="ad">x</p>`},
		{"style hidden from HTML by references", `<svg><style>.ad{position&#58;fixed}</style></svg>`, `<svg></svg>`},
		{"open dialog", `<dialog open style="top:0;left:0;width:100vw;height:100vh;z-index:10">覆盖</dialog>`,
			`<dialog open style="position:static;top:0;left:0;width:100vw;height:100vh;z-index:10">覆盖</dialog>`},
		{"open dialog without style", `<dialog open>x</dialog>`, `<dialog open style="position:static">x</dialog>`},
		{"dialog reverted to the browser's style", `<dialog open style="position:revert-layer;top:0">x</dialog>`,
			`<dialog open style="position:static;top:0">x</dialog>`},
		{"popover", `<button popovertarget="ad" popovertargetaction=show>更多</button><div id="ad" popover style="inset:0">广告</div>`,
			`<button>更多</button><div id="ad" style="inset:0">广告</div>`},
		{"command button opening a modal dialog", `<button commandfor="d" command="show-modal">看</button><dialog id="d">x</dialog>`,
			`<button>看</button><dialog id="d" style="position:static">x</dialog>`},
		{"ordinary styles unchanged", `<p style="text-align:center;position:relative"><span style="color: rgb(136, 136, 136);font-size: 14px;">责任编辑</span></p>`,
			`<p style="text-align:center;position:relative"><span style="color: rgb(136, 136, 136);font-size: 14px;">责任编辑</span></p>`},
	} {
		for _, style := range Styles {
			t.Run(tc.name+"/"+string(style), func(t *testing.T) {
				want := tc.want
				if style != StyleScope && strings.Contains(tc.in, "<style>") && !strings.Contains(tc.in, "<svg>") {
					want = map[Style]string{StyleKeep: `<style>.ad{bottom:0}</style><p class="ad">x</p>`, StyleDrop: `<p class="ad">x</p>`}[style]
				}
				if got := checkOutput(t, tc.in, "https://news.example/a.html", Options{Style: style}).HTML; got != want {
					t.Errorf("Process(%q) = %q, want %q", tc.in, got, want)
				}
			})
		}
	}
}
