package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A client that sends its POST body slowly, or never finishes it, is cut
// off; so is one whose body is too large.
func TestServeBoundsRequestBodies(t *testing.T) {
	bodyErr := make(chan error, 4)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		bodyErr <- err
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		io.WriteString(w, "read")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	lim := defaultLimits
	lim.read, lim.body = 200*time.Millisecond, 1024
	go func() { served <- serve(ctx, ln, h, nil, lim) }()
	defer func() {
		cancel()
		<-served
	}()
	guard := func() <-chan time.Time { return time.After(10 * time.Second) } // against hanging, not a measure

	t.Run("slow body", func(t *testing.T) {
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		// Headers announce 1000 bytes; 10 come, then nothing.
		fmt.Fprintf(conn, "POST /admin/action HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ntoken=abcd")
		select {
		case err := <-bodyErr:
			if err == nil {
				t.Fatal("the handler read a body that never came")
			}
		case <-guard():
			t.Fatal("the slow body was never cut off")
		}
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.ReadAll(conn); err != nil && !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "reset") {
			t.Errorf("the connection was not closed: %v", err)
		}
	})

	t.Run("large body", func(t *testing.T) {
		for _, chunked := range []bool{false, true} {
			conn, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			body := strings.Repeat("a", 4096)
			if chunked {
				fmt.Fprintf(conn, "POST /admin/action HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", len(body), body)
			} else {
				fmt.Fprintf(conn, "POST /admin/action HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			conn.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode == http.StatusOK {
				t.Errorf("chunked %v: a %d-byte body was read whole", chunked, len(body))
			}
			if chunked {
				select {
				case err := <-bodyErr:
					var mbe *http.MaxBytesError
					if !errors.As(err, &mbe) {
						t.Errorf("chunked: body read err = %v, want *http.MaxBytesError", err)
					}
				case <-guard():
					t.Fatal("the handler never ended")
				}
			}
		}
	})
}
