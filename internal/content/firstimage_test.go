package content

import (
	"strings"
	"testing"
	unsafeconv "unsafe" // the package's tests have a func unsafe
)

func TestFirstImage(t *testing.T) {
	tests := []struct{ in, want string }{
		{`<p>x</p><img src="https://i.example.com/a.jpg"><img src="b.jpg">`, "https://i.example.com/a.jpg"},
		{`<img src="  "><img src=" https://i.example.com/b.jpg ">`, "https://i.example.com/b.jpg"},
		{`<img src="https://i.example.com/a&#10;b.jpg">`, "https://i.example.com/ab.jpg"},
		{"<img src=\"https://i.example.com/a\tb\r\n.jpg\">", "https://i.example.com/ab.jpg"},
		{`<img src="&#10;">`, ""},
		{`<p>none</p>`, ""},
	}
	for _, tt := range tests {
		if got := FirstImage(tt.in); got != tt.want {
			t.Errorf("FirstImage(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := Process(`<img src="https://i.example.com/a&#10;b.jpg">`, "https://i.example.com/", Options{}).Image; got != "https://i.example.com/ab.jpg" {
		t.Errorf("Process image = %q", got)
	}
}

// The image is kept with the prepared body until the batch is flushed,
// long after the item's body could go: it must not be a piece of the body
// (which the cleaner reads in place), or it keeps all of the body.
func TestImageIsNotAPieceOfTheBody(t *testing.T) {
	body := `<p><img src="https://i.example.com/a.jpg" referrerpolicy="no-referrer"></p>` + strings.Repeat("<p>text</p>", 100)
	got := Process(body, "https://news.example.com/1.html", Options{})
	if got.Image != "https://i.example.com/a.jpg" {
		t.Fatalf("Image %q", got.Image)
	}
	start := uintptr(unsafeconv.Pointer(unsafeconv.StringData(body)))
	if p := uintptr(unsafeconv.Pointer(unsafeconv.StringData(got.Image))); p >= start && p < start+uintptr(len(body)) {
		t.Errorf("Image points into the body")
	}
}
