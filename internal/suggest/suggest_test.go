package suggest

import "testing"

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"max_item", "max_items", 1},
		{"max_items", "max_item", 1},
		{"intreval", "interval", 2},
		{"/guancha/headlines", "/guancha/headline", 1},
		{"观察者网", "观察者", 1},
		{"头条", "快讯", 2},
		{"abc", "", 3},
		{"kitten", "sitting", 3},
		{"头条", "头条新闻", 2},
	} {
		if got := Distance(c.a, c.b); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
