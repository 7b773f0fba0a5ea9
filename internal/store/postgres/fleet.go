package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/feedmill/feedmill/internal/store"
)

// The fleet: several feedmill processes over one database. Fetchers claim
// due sources with a lease; one publisher at a time holds a session-level
// advisory lock; the hosts' politeness limits are rows every fetcher
// takes turns on. See package fleet for the processes themselves.

// publisherLock is the advisory lock key of the one publisher.
const publisherLock int64 = 0x6665_6564_7075_626c // "feedpubl"

// Lease is a source's lease, as the fleet views show it.
type Lease struct {
	SourceID int64
	Owner    string
	Until    time.Time
}

// HeartbeatInterval is how often a fleet process reports itself alive
// (Heartbeat). DeadAfter is how long after its last report the fleet
// takes it for dead: its leases and host slots are free for the others
// from then on, whatever their expiry says, and it takes none itself
// until it reports again. Five heartbeats, so that a report late by a
// few seconds on a busy machine or database does not take a live
// process's slots; the heartbeat, not how long a fetch takes, decides.
const (
	HeartbeatInterval = 2 * time.Second
	DeadAfter         = 5 * HeartbeatInterval
)

// forgetAfter is how long after its last report a process's row is
// deleted (by any other process's heartbeat), so that the list of
// processes does not grow with every one killed.
const forgetAfter = time.Minute

// ClaimSources leases to owner, for lease, up to n of the sources with
// the given keys that are due at now, not paused, and not leased by a
// live lease: one whose expiry has not passed and whose owner is alive
// (see DeadAfter). The most overdue first. SKIP LOCKED lets fetchers
// claim at once without waiting for each other or claiming a source
// twice. An owner the fleet takes for dead (no heartbeat within
// DeadAfter) claims nothing: its leases would be free to the others.
func (s *Store) ClaimSources(ctx context.Context, owner string, keys []string, now time.Time, n int, lease time.Duration) ([]store.Source, error) {
	// Planned with its values each time, not as a prepared statement:
	// only then does PostgreSQL look the keys up in a hash table; a
	// generic plan compares every source with every key (5,000 × 5,000
	// string comparisons a claim).
	rows, err := s.q.Query(ctx, `UPDATE sources SET leased_until = now() + $1::bigint * interval '1 microsecond', lease_owner = $2
WHERE id IN (SELECT id FROM sources WHERE key = ANY($3) AND NOT paused
	AND (next_due_at IS NULL OR next_due_at <= $4)
	AND (leased_until IS NULL OR leased_until < now()
		OR lease_owner NOT IN (SELECT p.owner FROM fleet_processes p WHERE p.seen_at > now() - $6::bigint * interval '1 microsecond'))
	AND EXISTS (SELECT 1 FROM fleet_processes p WHERE p.owner = $2 AND p.seen_at > now() - $6::bigint * interval '1 microsecond')
	ORDER BY next_due_at NULLS FIRST, id LIMIT $5 FOR UPDATE SKIP LOCKED)
RETURNING `+sourceColumns, pgx.QueryExecModeExec, lease.Microseconds(), owner, keys, now.UnixNano(), n, DeadAfter.Microseconds())
	if err != nil {
		return nil, fmt.Errorf("claim sources: %w", err)
	}
	defer rows.Close()
	var out []store.Source
	for rows.Next() {
		src, err := scanSource(rows)
		if err != nil {
			return nil, fmt.Errorf("claim sources: %w", err)
		}
		out = append(out, src)
	}
	return out, rows.Err()
}

// ReleaseLeases gives back owner's leases of the sources (all of them
// when ids is nil). In a batch, it is part of the batch.
func (s *Store) ReleaseLeases(ctx context.Context, owner string, ids []int64) error {
	var err error
	if ids == nil {
		_, err = s.q.Exec(ctx, `UPDATE sources SET leased_until = NULL, lease_owner = '' WHERE lease_owner = $1`, owner)
	} else {
		_, err = s.q.Exec(ctx, `UPDATE sources SET leased_until = NULL, lease_owner = '' WHERE lease_owner = $1 AND id = ANY($2)`, owner, ids)
	}
	if err != nil {
		return fmt.Errorf("release leases: %w", err)
	}
	return nil
}

// CommitLazily makes the batch s is in commit without waiting for its WAL
// to reach the disk (SET LOCAL synchronous_commit = off): a fetcher's
// record of a group of fetches, whose loss in a crash of the database
// server costs only fetching those sources again (see fleet.Process).
// Outside a batch it does nothing.
func (s *Store) CommitLazily(ctx context.Context) error {
	if s.tx == nil {
		return nil
	}
	if _, err := s.q.Exec(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
		return fmt.Errorf("commit lazily: %w", err)
	}
	return nil
}

// Leases returns the live leases by source ID: not expired, and held by
// a process alive (see DeadAfter).
func (s *Store) Leases(ctx context.Context) (map[int64]Lease, error) {
	rows, err := s.q.Query(ctx, `SELECT id, lease_owner, leased_until FROM sources WHERE leased_until > now()
	AND EXISTS (SELECT 1 FROM fleet_processes p WHERE p.owner = sources.lease_owner AND p.seen_at > now() - $1::bigint * interval '1 microsecond')`, DeadAfter.Microseconds())
	if err != nil {
		return nil, fmt.Errorf("leases: %w", err)
	}
	defer rows.Close()
	out := map[int64]Lease{}
	for rows.Next() {
		var l Lease
		if err := rows.Scan(&l.SourceID, &l.Owner, &l.Until); err != nil {
			return nil, fmt.Errorf("leases: %w", err)
		}
		out[l.SourceID] = l
	}
	return out, rows.Err()
}

// UnpostedSources returns the IDs of the sources that have items (not
// retired) not posted yet in one of the outputs, for the publisher. The
// pending records (see migration 4) are found on posts_pending, so a
// round that finds nothing to do reads next to nothing.
func (s *Store) UnpostedSources(ctx context.Context, outputs []int64) ([]int64, error) {
	rows, err := s.q.Query(ctx, `SELECT DISTINCT i.source_id FROM posts p JOIN items i ON i.id = p.item_id
WHERE p.output_id = ANY($1) AND p.posted_at IS NULL AND i.retired_at IS NULL
ORDER BY i.source_id`, outputs)
	if err != nil {
		return nil, fmt.Errorf("unposted sources: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// PublisherLock is the one publisher's lock: a session-level advisory
// lock on a connection of its own, which PostgreSQL gives up when the
// process dies (its connection closes), so a standby can take over.
type PublisherLock struct {
	conn *pgxpool.Conn
}

// ErrLockHeld is returned by TryPublisherLock while another process
// publishes.
var ErrLockHeld = errors.New("another feedmill is publishing")

// TryPublisherLock takes the publisher lock, or returns ErrLockHeld.
func (s *Store) TryPublisherLock(ctx context.Context) (*PublisherLock, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("publisher lock: %w", err)
	}
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, publisherLock).Scan(&ok); err != nil {
		conn.Release()
		return nil, fmt.Errorf("publisher lock: %w", err)
	}
	if !ok {
		conn.Release()
		return nil, ErrLockHeld
	}
	return &PublisherLock{conn: conn}, nil
}

// Held checks that the lock is still held: that its connection is alive.
// A publisher checks it before each round of writes, so that one cut off
// from the database stops before a standby takes over.
func (l *PublisherLock) Held(ctx context.Context) bool {
	var ok bool
	err := l.conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
	AND ((classid::bigint << 32) | objid::bigint) = $1)`, publisherLock).Scan(&ok)
	return err == nil && ok
}

// Release gives the lock back.
func (l *PublisherLock) Release(ctx context.Context) {
	_, err := l.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, publisherLock)
	if err != nil {
		// The connection is broken: close it, which releases the lock.
		l.conn.Hijack().Close(ctx)
		return
	}
	l.conn.Release()
}

// Publisher returns the owner of the process holding the publisher lock
// (its connection's application_name), or "" when none does.
func (s *Store) Publisher(ctx context.Context) (string, error) {
	var owner string
	err := s.q.QueryRow(ctx, `SELECT a.application_name FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
	AND ((l.classid::bigint << 32) | l.objid::bigint) = $1`, publisherLock).Scan(&owner)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("publisher: %w", err)
	}
	return owner, nil
}

// Process is a fleet process as it last reported itself.
type Process struct {
	Owner      string
	Role       string
	Started    time.Time
	Seen       time.Time
	Publishing bool
	Counters   map[string]int64
}

// Heartbeat records that the process is alive, with its counters, and
// renews for lease its leases of the sources it is
// fetching, so that a fetch longer than a lease keeps its source. In
// the same statement, it deletes the rows of processes not seen for a
// minute: killed ones, which never left.
func (s *Store) Heartbeat(ctx context.Context, p Process, fetching []int64, lease time.Duration) error {
	counters, err := json.Marshal(p.Counters)
	if err != nil {
		return err
	}
	if fetching == nil {
		fetching = []int64{}
	}
	// Rows another transaction has locked are skipped, not waited for: a
	// source's lease locked by the transaction recording its fetch is
	// being given back, and waiting for it while holding others' locks
	// deadlocked with that transaction, which then failed (its sources
	// kept their leases until they ran out).
	_, err = s.q.Exec(ctx, `WITH renewed AS (
	UPDATE sources SET leased_until = now() + $6::bigint * interval '1 microsecond'
	WHERE id IN (SELECT id FROM sources WHERE id = ANY($7) AND lease_owner = $1 AND leased_until IS NOT NULL FOR UPDATE SKIP LOCKED)
), forgotten AS (
	DELETE FROM fleet_processes WHERE owner IN (SELECT owner FROM fleet_processes
		WHERE seen_at < now() - $8::bigint * interval '1 microsecond' AND owner <> $1 FOR UPDATE SKIP LOCKED)
)
INSERT INTO fleet_processes (owner, role, started_at, seen_at, publishing, counters) VALUES ($1, $2, $3, now(), $4, $5)
ON CONFLICT (owner) DO UPDATE SET role = excluded.role, seen_at = now(), publishing = excluded.publishing, counters = excluded.counters`,
		p.Owner, p.Role, p.Started, p.Publishing, counters, lease.Microseconds(), fetching, forgetAfter.Microseconds())
	if err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	return nil
}

// Leave removes the process from the fleet's list, and its leases.
func (s *Store) Leave(ctx context.Context, owner string) error {
	if err := s.ReleaseLeases(ctx, owner, nil); err != nil {
		return err
	}
	if _, err := s.q.Exec(ctx, `UPDATE fleet_host_slots SET held_until = 'epoch', owner = '' WHERE owner = $1`, owner); err != nil {
		return fmt.Errorf("leave: %w", err)
	}
	if _, err := s.q.Exec(ctx, `DELETE FROM fleet_processes WHERE owner = $1`, owner); err != nil {
		return fmt.Errorf("leave: %w", err)
	}
	return nil
}

// Processes returns the processes seen within the last since.
func (s *Store) Processes(ctx context.Context, since time.Duration) ([]Process, error) {
	rows, err := s.q.Query(ctx, `SELECT owner, role, started_at, seen_at, publishing, counters FROM fleet_processes
WHERE seen_at > now() - $1::bigint * interval '1 microsecond' ORDER BY role, owner`, since.Microseconds())
	if err != nil {
		return nil, fmt.Errorf("processes: %w", err)
	}
	defer rows.Close()
	var out []Process
	for rows.Next() {
		var p Process
		var counters []byte
		if err := rows.Scan(&p.Owner, &p.Role, &p.Started, &p.Seen, &p.Publishing, &counters); err != nil {
			return nil, fmt.Errorf("processes: %w", err)
		}
		_ = json.Unmarshal(counters, &p.Counters)
		out = append(out, p)
	}
	return out, rows.Err()
}

// HostGate holds the politeness limits of every host for the whole
// fleet: at most perHost requests in flight to a host, their starts at
// least delay apart, and none while a server's pause (429, Retry-After)
// lasts. It implements fetch.HostGate.
//
// A slot is held until it is given back, and is free before that only
// when its holder is taken for dead (no heartbeat within DeadAfter; see
// Heartbeat), or after hold, should a give-back be lost. A process that
// is not alive to the fleet takes no slot: so a fetch in flight is never
// doubled by a slot taken over from a live process. Each fetch costs two short
// statements, three with a delay: take a slot, take a turn, give the
// slot back.
//
// Their commits do not wait for the WAL to reach the disk (the store's
// lazy pool): two such waits per fetch bounded the whole fleet's rate of
// fetches by the disk. A crash of the database server may then lose the
// last fraction of a second of them, which is harmless: a lost release
// leaves its slot held until hold passes; a lost take lets another
// fetch start while the one that took it is still in flight, once, just
// after the database came back; a lost pause is a 429 seen again.
type HostGate struct {
	pool    *pgxpool.Pool
	owner   string
	perHost int
	delay   time.Duration
	// hold is how long a slot stays taken by a live process that lost
	// the statement giving it back: longer than any fetch.
	hold time.Duration
}

// HostGate returns the fleet's gate for owner's fetches.
func (s *Store) HostGate(owner string, perHost int, delay, hold time.Duration) *HostGate {
	return &HostGate{pool: s.lazy, owner: owner, perHost: max(1, perHost), delay: delay, hold: hold}
}

// gatePoll is how long a fetch waiting for a host's slot waits between
// tries, about.
const gatePoll = 25 * time.Millisecond

// gateStatement bounds each take of a slot, which its fetch's context
// does not cut short.
const gateStatement = 10 * time.Second

// Acquire waits for a slot of host and its turn, and returns the function
// that gives the slot back. When the host's server asked the fleet to
// wait, it returns at once with the time the pause ends.
func (g *HostGate) Acquire(ctx context.Context, host string) (func(), time.Time, error) {
	slot := -1
	for slot < 0 {
		var paused time.Time
		var got *int32
		// One statement: the host's pause, and a free slot when none.
		// The host's row and slots are made the first time only: an
		// upsert of the row on every fetch locked it until its commit,
		// so every fetch of the fleet to the host waited for the one
		// before it to commit (a WAL flush each). A row another fetch is
		// making at this moment is not in h; its pause is none yet.
		//
		// The statement is not cut short when ctx ends (only after
		// gateStatement, for a database that stopped answering): cut
		// after its commit, it would leave a slot taken that no one
		// gives back until hold passes. ctx is checked once it has
		// answered.
		qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), gateStatement)
		err := g.pool.QueryRow(qctx, `WITH made AS (
	INSERT INTO fleet_hosts (host) SELECT $1 WHERE NOT EXISTS (SELECT 1 FROM fleet_hosts WHERE host = $1)
	ON CONFLICT (host) DO NOTHING RETURNING paused_until
), h AS (
	SELECT COALESCE(MAX(paused_until), 'epoch') AS paused_until FROM (
		SELECT paused_until FROM made UNION ALL SELECT paused_until FROM fleet_hosts WHERE host = $1) AS p
), s AS (
	INSERT INTO fleet_host_slots (host, slot) SELECT $1, generate_series(0, $2 - 1)
	WHERE NOT EXISTS (SELECT 1 FROM fleet_host_slots WHERE host = $1 AND slot = $2 - 1)
	ON CONFLICT DO NOTHING
), free AS (
	SELECT slot FROM fleet_host_slots WHERE host = $1 AND slot < $2
		AND (held_until < now() OR owner NOT IN (SELECT p.owner FROM fleet_processes p WHERE p.seen_at > now() - $5::bigint * interval '1 microsecond'))
		AND (SELECT paused_until FROM h) < now()
		AND EXISTS (SELECT 1 FROM fleet_processes p WHERE p.owner = $3 AND p.seen_at > now() - $5::bigint * interval '1 microsecond')
	ORDER BY slot LIMIT 1 FOR UPDATE SKIP LOCKED
), took AS (
	UPDATE fleet_host_slots SET owner = $3, held_until = now() + $4::bigint * interval '1 microsecond'
	WHERE host = $1 AND slot = (SELECT slot FROM free) RETURNING slot
)
SELECT (SELECT paused_until FROM h), (SELECT slot FROM took)`, host, g.perHost, g.owner, g.hold.Microseconds(), DeadAfter.Microseconds()).Scan(&paused, &got)
		cancel()
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("fleet host gate: %w", err)
		}
		if ctx.Err() != nil {
			if got != nil {
				g.release(ctx, host, int(*got))
			}
			return nil, time.Time{}, ctx.Err()
		}
		if paused.After(time.Now()) {
			return nil, paused, nil
		}
		if got != nil {
			slot = int(*got)
			break
		}
		t := time.NewTimer(gatePoll/2 + rand.N(gatePoll))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, time.Time{}, ctx.Err()
		}
	}
	release := func() { g.release(ctx, host, slot) }
	if g.delay > 0 {
		// The host's next start is taken atomically: each fetch gets its
		// own turn, delay after the last one given, and waits for it.
		var wait int64
		err := g.pool.QueryRow(ctx, `UPDATE fleet_hosts SET next_at = GREATEST(next_at, now()) + $2::bigint * interval '1 microsecond'
WHERE host = $1 RETURNING (EXTRACT(EPOCH FROM (next_at - now())) * 1000000)::bigint - $2::bigint`, host, g.delay.Microseconds()).Scan(&wait)
		if err != nil {
			release()
			return nil, time.Time{}, fmt.Errorf("fleet host gate: %w", err)
		}
		if wait > 0 {
			t := time.NewTimer(time.Duration(wait) * time.Microsecond)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				release()
				return nil, time.Time{}, ctx.Err()
			}
		}
	}
	return release, time.Time{}, nil
}

// release gives a slot of host back.
func (g *HostGate) release(ctx context.Context, host string, slot int) {
	_, _ = g.pool.Exec(context.WithoutCancel(ctx), `UPDATE fleet_host_slots SET held_until = 'epoch', owner = '' WHERE host = $1 AND slot = $2 AND owner = $3`, host, slot, g.owner)
}

// Pause records that host's server asked for no requests until until;
// every fetcher of the fleet keeps away until then.
func (g *HostGate) Pause(ctx context.Context, host string, until time.Time) {
	_, _ = g.pool.Exec(context.WithoutCancel(ctx), `INSERT INTO fleet_hosts (host, paused_until) VALUES ($1, $2)
ON CONFLICT (host) DO UPDATE SET paused_until = GREATEST(fleet_hosts.paused_until, excluded.paused_until)`, host, until)
}

// FetchNow makes the source due at now, so that the first fetcher that
// claims sources takes it (an admin's "fetch now").
func (s *Store) FetchNow(ctx context.Context, id int64, now time.Time) error {
	return s.exec(ctx, "fetch now", `UPDATE sources SET next_due_at = $1 WHERE id = $2`, now.UnixNano(), id)
}
