package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/store"
	"github.com/feedmill/feedmill/internal/store/postgres/pgtest"
)

// The fleet's host gate: two processes together hold at most perHost
// slots of a host, a slot given back is free for either, a new host needs
// no setup, and a pause one process records holds for the other.
func TestHostGate(t *testing.T) {
	s, err := Open(t.Context(), pgtest.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	beat(t, s, "a", nil)
	beat(t, s, "b", nil)
	a := s.HostGate("a", 2, 0, time.Minute)
	b := s.HostGate("b", 2, 0, time.Minute)
	acquire := func(g *HostGate, host string, within time.Duration) (func(), time.Time, error) {
		ctx, cancel := context.WithTimeout(t.Context(), within)
		defer cancel()
		return g.Acquire(ctx, host)
	}
	// A host never seen: its row and slots are made by the first fetch.
	r1, _, err := acquire(a, "h:1", 10*time.Second)
	if err != nil || r1 == nil {
		t.Fatalf("first slot of a new host: %v", err)
	}
	r2, _, err := acquire(b, "h:1", 10*time.Second)
	if err != nil || r2 == nil {
		t.Fatalf("second slot: %v", err)
	}
	if _, _, err := acquire(a, "h:1", 300*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a third slot with per_host 2: got %v, want to wait", err)
	}
	var held int
	if err := s.pool.QueryRow(t.Context(), `SELECT COUNT(*) FROM fleet_host_slots WHERE host = 'h:1' AND held_until > now()`).Scan(&held); err != nil || held != 2 {
		t.Fatalf("%d slots held (%v), want 2", held, err)
	}
	r1()
	r3, _, err := acquire(b, "h:1", 10*time.Second)
	if err != nil || r3 == nil {
		t.Fatalf("a slot given back is free: %v", err)
	}
	r2()
	r3()
	// A pause seen by one process holds for the other, on a known host
	// and on one it never fetched from.
	until := time.Now().Add(time.Hour).Truncate(time.Microsecond)
	for _, host := range []string{"h:1", "h:2"} {
		a.Pause(t.Context(), host, until)
		release, paused, err := acquire(b, host, 10*time.Second)
		if err != nil || release != nil || !paused.Equal(until) {
			t.Errorf("%s paused until %v: got release %v, paused %v, %v", host, until, release != nil, paused, err)
		}
	}
	// A shorter pause does not shorten it.
	a.Pause(t.Context(), "h:1", time.Now().Add(time.Minute))
	if _, paused, _ := acquire(b, "h:1", 10*time.Second); !paused.Equal(until) {
		t.Errorf("after a shorter pause: paused until %v, want %v", paused, until)
	}
}

// Only what may be lost in a database crash commits lazily: the host
// gate's pool and a batch that asked to; every other batch, and the
// store's own pool, commit durably.
func TestLazyCommits(t *testing.T) {
	s, err := Open(t.Context(), pgtest.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	setting := func(q querier) string {
		t.Helper()
		var v string
		if err := q.QueryRow(t.Context(), `SHOW synchronous_commit`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := setting(s.lazy); v != "off" {
		t.Errorf("the host gate's pool: synchronous_commit %s", v)
	}
	if v := setting(s.pool); v != "on" {
		t.Errorf("the store's pool: synchronous_commit %s", v)
	}
	for _, lazy := range []bool{true, false} {
		err := s.Batch(t.Context(), func(tx store.Store) error {
			pg := tx.(*Store)
			if lazy {
				if err := pg.CommitLazily(t.Context()); err != nil {
					return err
				}
			}
			want := map[bool]string{true: "off", false: "on"}[lazy]
			if v := setting(pg.q); v != want {
				t.Errorf("a batch (lazy %v): synchronous_commit %s, want %s", lazy, v, want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CommitLazily(t.Context()); err != nil {
		t.Fatal(err)
	}
	if v := setting(s.pool); v != "on" {
		t.Errorf("CommitLazily outside a batch changed the pool: synchronous_commit %s", v)
	}
}

// beat reports owner alive, fetching the sources of ids.
func beat(t *testing.T, s *Store, owner string, ids []int64) {
	t.Helper()
	if err := s.Heartbeat(t.Context(), Process{Owner: owner, Role: "fetch", Started: time.Now()}, ids, time.Minute); err != nil {
		t.Fatal(err)
	}
}

// lastSeen makes owner's last heartbeat ago old.
func lastSeen(t *testing.T, s *Store, owner string, ago time.Duration) {
	t.Helper()
	if _, err := s.pool.Exec(t.Context(), `UPDATE fleet_processes SET seen_at = now() - $2::bigint * interval '1 microsecond' WHERE owner = $1`, owner, ago.Microseconds()); err != nil {
		t.Fatal(err)
	}
}

// A process whose heartbeat stopped loses its host slots and its leases
// once DeadAfter has passed, not before, whatever their expiry; a
// process alive to the fleet never loses them, and one that is not
// takes nothing.
func TestDeadProcessLosesSlotsAndLeases(t *testing.T) {
	s, err := Open(t.Context(), pgtest.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.EnsureSource(t.Context(), feed.Source{Group: "g", Name: "s", Channel: "c", URL: "https://example.com/a"}); err != nil {
		t.Fatal(err)
	}
	keys := []string{"g/s/c"}
	beat(t, s, "a", nil)
	beat(t, s, "b", nil)
	// Held for an hour: only the heartbeat can free them.
	a := s.HostGate("a", 1, 0, time.Hour)
	b := s.HostGate("b", 1, 0, time.Hour)
	acquire := func(g *HostGate, within time.Duration) (func(), error) {
		ctx, cancel := context.WithTimeout(t.Context(), within)
		defer cancel()
		release, _, err := g.Acquire(ctx, "h:1")
		return release, err
	}
	claim := func(owner string) int {
		t.Helper()
		got, err := s.ClaimSources(t.Context(), owner, keys, time.Now(), 10, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return len(got)
	}
	if _, err := acquire(a, 10*time.Second); err != nil {
		t.Fatalf("a's slot: %v", err)
	}
	if n := claim("a"); n != 1 {
		t.Fatalf("a claimed %d sources, want 1", n)
	}
	id := int64(1)
	for _, ago := range []time.Duration{0, DeadAfter - 3*time.Second} {
		lastSeen(t, s, "a", ago)
		if _, err := acquire(b, 300*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("a's last heartbeat %s ago: b took its slot (%v)", ago, err)
		}
		if n := claim("b"); n != 0 {
			t.Fatalf("a's last heartbeat %s ago: b claimed its source", ago)
		}
	}
	if leases, err := s.Leases(t.Context()); err != nil || leases[id].Owner != "a" {
		t.Errorf("leases of a live a: %v, %v", leases, err)
	}
	// A heartbeat DeadAfter old: a is dead to the fleet.
	lastSeen(t, s, "a", DeadAfter+time.Second)
	if leases, err := s.Leases(t.Context()); err != nil || len(leases) != 0 {
		t.Errorf("leases of a dead a: %v, %v", leases, err)
	}
	rb, err := acquire(b, 10*time.Second)
	if err != nil {
		t.Fatalf("a dead process's slot: %v", err)
	}
	if n := claim("b"); n != 1 {
		t.Fatalf("b claimed %d of a dead process's sources, want 1", n)
	}
	rb()
	// A process dead to the fleet takes no slot and claims no source,
	// though they are free: whoever took them would not see it alive.
	if _, err := acquire(a, 300*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a dead a took a free slot: %v", err)
	}
	if err := s.ReleaseLeases(t.Context(), "b", nil); err != nil {
		t.Fatal(err)
	}
	if n := claim("a"); n != 0 {
		t.Fatalf("a dead a claimed a free source")
	}
	// Alive again, it takes them.
	beat(t, s, "a", nil)
	ra, err := acquire(a, 10*time.Second)
	if err != nil {
		t.Fatalf("a, alive again, took no free slot: %v", err)
	}
	ra()
	if n := claim("a"); n != 1 {
		t.Fatalf("a, alive again, claimed %d sources, want 1", n)
	}
	lastSeen(t, s, "b", DeadAfter+time.Second)
	if _, err := acquire(b, 300*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a dead b took a free slot: %v", err)
	}
	if err := s.ReleaseLeases(t.Context(), "a", nil); err != nil {
		t.Fatal(err)
	}
	if n := claim("b"); n != 0 {
		t.Errorf("a dead b claimed a free source")
	}
}

// A heartbeat renews the leases of the sources its process is fetching,
// past their first expiry, and no other; and it forgets the processes
// not seen for a while.
func TestHeartbeatRenewsLeases(t *testing.T) {
	s, err := Open(t.Context(), pgtest.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, url := range []string{"https://example.com/a", "https://example.com/b"} {
		if _, err := s.EnsureSource(t.Context(), feed.Source{Group: "g", Name: "s", Channel: url[len(url)-1:], URL: url}); err != nil {
			t.Fatal(err)
		}
	}
	keys := []string{"g/s/a", "g/s/b"}
	beat(t, s, "a", nil)
	beat(t, s, "b", nil)
	const lease = 2 * time.Second
	got, err := s.ClaimSources(t.Context(), "a", keys, time.Now(), 10, lease)
	if err != nil || len(got) != 2 {
		t.Fatalf("a claimed %v, %v", got, err)
	}
	until := func(id int64) time.Time {
		var u time.Time
		if err := s.pool.QueryRow(t.Context(), `SELECT COALESCE(leased_until, 'epoch') FROM sources WHERE id = $1`, id).Scan(&u); err != nil {
			t.Fatal(err)
		}
		return u
	}
	fetching, idle := got[0].ID, got[1].ID
	first := until(fetching)
	time.Sleep(time.Until(first) + 200*time.Millisecond)
	// Fetching one past its lease's expiry, a says it is alive.
	if err := s.Heartbeat(t.Context(), Process{Owner: "a", Role: "fetch", Started: time.Now()}, []int64{fetching}, time.Minute); err != nil {
		t.Fatal(err)
	}
	if u := until(fetching); !u.After(first.Add(50 * time.Second)) {
		t.Errorf("the lease of a source in flight: until %v, first %v, want renewed for a minute", u, first)
	}
	if u := until(idle); u.After(first.Add(time.Second)) {
		t.Errorf("the lease of a source not in flight was renewed: %v", u)
	}
	again, err := s.ClaimSources(t.Context(), "b", keys, time.Now(), 10, lease)
	if err != nil || len(again) != 1 || again[0].ID != idle {
		t.Errorf("b claimed %v (%v), want only the source a no longer fetches (%d)", again, err, idle)
	}
	// A lease given back is not renewed: a's heartbeat after b took it.
	if err := s.Heartbeat(t.Context(), Process{Owner: "a", Role: "fetch", Started: time.Now()}, []int64{fetching, idle}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if leases, err := s.Leases(t.Context()); err != nil || leases[idle].Owner != "b" || leases[fetching].Owner != "a" {
		t.Errorf("leases: %v, %v", leases, err)
	}
	// A process not seen for a minute is forgotten by another's
	// heartbeat; one seen within it is kept.
	lastSeen(t, s, "b", forgetAfter+time.Second)
	beat(t, s, "c", nil)
	lastSeen(t, s, "c", forgetAfter-5*time.Second)
	beat(t, s, "a", nil)
	procs, err := s.Processes(t.Context(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var owners []string
	for _, p := range procs {
		owners = append(owners, p.Owner)
	}
	if len(owners) != 2 || owners[0] != "a" || owners[1] != "c" {
		t.Errorf("processes after a heartbeat: %v, want [a c]", owners)
	}
}
