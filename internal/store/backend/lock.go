package backend

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// LockedError is returned by Lock when another process holds the store.
type LockedError struct {
	Store string // the SQLite file
	PID   int    // the process holding it; 0 when it could not be read
}

func (e *LockedError) Error() string {
	who := "another feedmill process"
	if e.PID > 0 {
		who += " (pid " + strconv.Itoa(e.PID) + ")"
	}
	return fmt.Sprintf("store %s is in use by %s: two feedmills on one store would fetch and publish everything twice; wait for it to finish, or stop it", e.Store, who)
}

// lockPoll is how often Lock looks again while another process holds the
// store.
const lockPoll = 100 * time.Millisecond

// Lock keeps other feedmill processes that would write from the SQLite
// store dsn for as long as this one runs, or until release is called: two
// runs, a run and a serve, or two serves on one store would fetch and
// write everything twice and remove each other's temp files. The lock is
// an flock on a file beside the database, dsn+".lock", which holds the
// holder's pid for the message; the system lets go of it when the process
// ends, however it ends. While another process holds it, Lock waits up to
// wait, then returns a *LockedError. A PostgreSQL store, shared by design,
// and ":memory:" need no lock.
//
// Commands that only read (feedmill sources) take no lock: SQLite lets
// them read while another process writes.
func Lock(ctx context.Context, dsn string, wait time.Duration) (release func(), err error) {
	if IsPostgres(dsn) || dsn == ":memory:" {
		return func() {}, nil
	}
	path := dsn + ".lock"
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lock store: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock store: %w", err)
	}
	deadline := time.Now().Add(wait)
	for {
		err := tryLock(f)
		if err == nil {
			break
		}
		if !errors.Is(err, errBusy) {
			f.Close()
			return nil, fmt.Errorf("lock store: %w", err)
		}
		if !time.Now().Before(deadline) {
			pid := readPID(path)
			f.Close()
			return nil, &LockedError{Store: dsn, PID: pid}
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(lockPoll):
		}
	}
	// The pid is for the message another process shows; the lock itself
	// is the flock, which a crash cannot leave behind.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() { f.Close() }, nil
}

func readPID(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	return pid
}
