package fetch

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// limiter bounds requests: at most global at once, at most perHost at once
// to one host, and request starts to one host at least delay apart. A host
// is the URL's host:port, as browsers and net/http count connections.
//
// Every request, redirects included, passes through it, and holds its
// slots until its body is closed: the connection is busy until then.
type limiter struct {
	global  chan struct{}
	perHost int
	delay   time.Duration
	gate    HostGate // the fleet's limits, or nil

	mu    sync.Mutex
	hosts map[string]*hostState // one per host ever seen; bounded by the configured sources
}

type hostState struct {
	slots chan struct{}
	last  time.Time // start of the latest request
}

func newLimiter(global, perHost int, delay time.Duration) *limiter {
	return &limiter{
		global:  make(chan struct{}, global),
		perHost: perHost,
		delay:   delay,
		hosts:   map[string]*hostState{},
	}
}

func (l *limiter) host(key string) *hostState {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.hosts[key]
	if h == nil {
		h = &hostState{slots: make(chan struct{}, l.perHost)}
		l.hosts[key] = h
	}
	return h
}

// acquire waits for a slot of the host, then for its turn after the delay
// and a global slot, and returns the function that gives them back. The host
// comes first so that a request waiting for a busy host never holds a
// global slot that a request to another host could use.
func (l *limiter) acquire(ctx context.Context, hostKey string) (func(), error) {
	h := l.host(hostKey)
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	// The fleet's turn is taken with the host's slot, before a global
	// one, as the host's own.
	fleetRelease := func() {}
	if l.gate != nil {
		release, paused, err := l.gate.Acquire(ctx, hostKey)
		if err != nil {
			<-h.slots
			return nil, err
		}
		if release == nil {
			<-h.slots
			return nil, &HTTPError{StatusCode: http.StatusTooManyRequests, Status: "429 (held for the fleet: the server asked another feedmill to wait)",
				RetryAfter: max(time.Until(paused), time.Second)}
		}
		fleetRelease = release
	}
	// The delay counts from the last request that actually started, so a
	// request is let go only once it holds a global slot; it sleeps
	// without one.
	for {
		l.mu.Lock()
		wait := time.Until(h.last.Add(l.delay))
		l.mu.Unlock()
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				<-h.slots
				fleetRelease()
				return nil, ctx.Err()
			}
		}
		select {
		case l.global <- struct{}{}:
		case <-ctx.Done():
			<-h.slots
			fleetRelease()
			return nil, ctx.Err()
		}
		l.mu.Lock()
		now := time.Now()
		if l.delay <= 0 || !now.Before(h.last.Add(l.delay)) {
			h.last = now
			l.mu.Unlock()
			break
		}
		// The host's other slot started while this one waited.
		l.mu.Unlock()
		<-l.global
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-l.global
			<-h.slots
			fleetRelease()
		})
	}, nil
}

// hostKey is the host:port a request goes to, with the scheme's default
// port filled in so that "a" and "a:80" are one host.
func hostKey(req *http.Request) string {
	host := strings.ToLower(req.URL.Host)
	if req.URL.Port() == "" {
		switch req.URL.Scheme {
		case "https":
			host += ":443"
		default:
			host += ":80"
		}
	}
	return host
}

// limitedTransport passes every request through the limiter.
type limitedTransport struct {
	next    http.RoundTripper
	limiter *limiter
}

func (t *limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var release func()
	if st := state(req.Context()); st != nil && st.held != nil && st.heldHost == hostKey(req) {
		// The first request uses the slot Do took before its timeout.
		release, st.held = st.held, nil
	} else {
		var err error
		if release, err = t.limiter.acquire(req.Context(), hostKey(req)); err != nil {
			return nil, err
		}
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		release()
		return nil, err
	}
	resp.Body = &releaseBody{ReadCloser: resp.Body, release: release}
	return resp, nil
}

// releaseBody gives the limiter's slots back when the body is closed.
type releaseBody struct {
	io.ReadCloser
	release func()
}

func (b *releaseBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}
