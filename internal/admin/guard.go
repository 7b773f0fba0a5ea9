package admin

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net"
	"net/netip"
	"net/url"
	"sync"
	"time"
)

// notes signs the messages the page shows after an action, so that a
// link with text of someone else's (?msg=Your token expired, go to …)
// shows nothing. The key is the process's own: a message outlives neither
// a restart nor a reload, and needs not.
type notes struct{ key [32]byte }

func newNotes() *notes {
	n := &notes{}
	rand.Read(n.key[:]) // never fails (crypto/rand)
	return n
}

func (n *notes) sign(kind, text string) string {
	m := hmac.New(sha256.New, n.key[:])
	m.Write([]byte(kind + "\x00" + text))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// query is the page's query string that shows text as a message of kind
// ("msg" or "err").
func (n *notes) query(kind, text string) string {
	return url.Values{kind: {text}, "sig": {n.sign(kind, text)}}.Encode()
}

// read returns the message of kind in q when the server signed it, else "".
func (n *notes) read(q url.Values, kind string) string {
	text := q.Get(kind)
	if text == "" || !hmac.Equal([]byte(q.Get("sig")), []byte(n.sign(kind, text))) {
		return ""
	}
	return text
}

// Wrong tokens: a client has freeGuesses, then waits before each next try
// twice as long as before, from one second up to maxWait. It is forgotten
// forgetAfter its last wrong token, or at its first right one.
const (
	freeGuesses = 5
	maxWait     = 15 * time.Minute
	forgetAfter = time.Hour
	// maxClients bounds the clients remembered; beyond, the longest
	// quiet one is forgotten.
	maxClients = 4096
)

// strikes slows down clients that send wrong tokens.
type strikes struct {
	mu      sync.Mutex
	clients map[netip.Prefix]*strike
}

type strike struct {
	wrong int
	last  time.Time // the last wrong token
	until time.Time // no token is tried before then
}

func newStrikes() *strikes { return &strikes{clients: map[netip.Prefix]*strike{}} }

// client is who sends a request: its address, or its /64 for IPv6, where
// one machine has many addresses.
func client(remoteAddr string) netip.Prefix {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Prefix{}
	}
	a = a.Unmap()
	bits := 32
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits)
	return p
}

// wait returns how long the client must still wait before its token is
// tried; 0 when it may try now.
func (s *strikes) wait(c netip.Prefix, now time.Time) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.clients[c]
	if st == nil {
		return 0
	}
	return max(0, st.until.Sub(now))
}

// fail counts a wrong token of the client.
func (s *strikes) fail(c netip.Prefix, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.clients[c]
	if st != nil && now.Sub(st.last) > forgetAfter {
		st = nil
	}
	if st == nil {
		if len(s.clients) >= maxClients {
			s.evict(now)
		}
		st = &strike{}
		s.clients[c] = st
	}
	st.wrong++
	st.last = now
	if n := st.wrong - freeGuesses; n >= 0 {
		st.until = now.Add(min(maxWait, time.Second<<min(n, 20)))
	}
}

// succeed forgets the client's wrong tokens.
func (s *strikes) succeed(c netip.Prefix) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.clients, c)
}

// evict forgets the clients quiet for forgetAfter, or else the quietest.
func (s *strikes) evict(now time.Time) {
	var oldest netip.Prefix
	var oldestAt time.Time
	for c, st := range s.clients {
		if now.Sub(st.last) > forgetAfter && now.After(st.until) {
			delete(s.clients, c)
			continue
		}
		if oldestAt.IsZero() || st.last.Before(oldestAt) {
			oldest, oldestAt = c, st.last
		}
	}
	if len(s.clients) >= maxClients {
		delete(s.clients, oldest)
	}
}
