package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

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
