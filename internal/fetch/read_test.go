package fetch

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadAll(t *testing.T) {
	body := strings.Repeat("<item>条目</item>", 1500) // 28 kB
	boom := errors.New("boom")
	cases := []struct {
		name    string
		r       io.Reader
		size    int64
		want    string
		wantErr error
	}{
		{"size announced", strings.NewReader(body), int64(len(body)), body, nil},
		{"a byte at a time", iotest.OneByteReader(strings.NewReader(body)), int64(len(body)), body, nil},
		{"shorter than announced", strings.NewReader(body[:100]), int64(len(body)), body[:100], nil},
		{"longer than announced", strings.NewReader(body), 10, body, nil},
		{"no size", iotest.HalfReader(strings.NewReader(body)), 0, body, nil},
		{"size beyond reason", strings.NewReader(body), 1 << 40, body, nil},
		{"empty", strings.NewReader(""), 0, "", nil},
		{"error after data", io.MultiReader(strings.NewReader(body[:50]), iotest.ErrReader(boom)), int64(len(body)), body[:50], boom},
		{"data with EOF", iotest.DataErrReader(strings.NewReader(body)), int64(len(body)), body, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readAll(tc.r, tc.size)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if !bytes.Equal(got, []byte(tc.want)) {
				t.Fatalf("read %d bytes, want %d", len(got), len(tc.want))
			}
		})
	}
}

// The buffer sized from Content-Length is the body: reading it makes no
// other allocation of its size.
func TestReadAllSized(t *testing.T) {
	body := strings.Repeat("x", 20000)
	allocs := testing.AllocsPerRun(20, func() {
		if _, err := readAll(strings.NewReader(body), int64(len(body))); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 2 { // the buffer, and strings.NewReader's reader
		t.Fatalf("%.0f allocations to read a body of known size", allocs)
	}
}
