package content

import "testing"

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
