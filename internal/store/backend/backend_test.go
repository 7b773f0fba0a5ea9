package backend_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedmill/feedmill/internal/store/backend"
)

func TestOpenSQLiteCreatesFileAndFolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new folder", "feedmill.db")
	if _, err := backend.OpenExisting(t.Context(), path); !errors.Is(err, backend.ErrNoStore) {
		t.Fatalf("OpenExisting of a missing file: %v, want ErrNoStore", err)
	}
	if _, err := os.Stat(filepath.Dir(path)); err == nil {
		t.Fatal("OpenExisting made the folder")
	}
	st, err := backend.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetSetting(t.Context(), "k", "v"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st, err = backend.OpenExisting(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if v, err := st.Setting(t.Context(), "k"); err != nil || v != "v" {
		t.Errorf("reopened store: %q, %v", v, err)
	}
}

func TestOpenRefusesUnknownSchemes(t *testing.T) {
	for _, dsn := range []string{"mysql://localhost/db", "sqlite://feedmill.db", ""} {
		if _, err := backend.Open(t.Context(), dsn); err == nil {
			t.Errorf("Open(%q): no error", dsn)
		}
	}
}

func TestIsPostgres(t *testing.T) {
	for dsn, want := range map[string]bool{
		"postgres://u@localhost/db":   true,
		"postgresql://localhost/db":   true,
		"feedmill.db":                 false,
		"/var/lib/postgres/x.db":      false,
		"data/postgres://odd-name.db": false,
	} {
		if got := backend.IsPostgres(dsn); got != want {
			t.Errorf("IsPostgres(%q) = %v", dsn, got)
		}
	}
}

func TestRedact(t *testing.T) {
	got := backend.Redact("postgres://feedmill:secret@db.example.com:5432/feedmill?sslmode=require")
	if strings.Contains(got, "secret") || !strings.Contains(got, "db.example.com") {
		t.Errorf("Redact = %q", got)
	}
	if got := backend.Redact("/var/lib/feedmill.db"); got != "/var/lib/feedmill.db" {
		t.Errorf("Redact of a path = %q", got)
	}
}
