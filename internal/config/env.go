package config

import (
	"path/filepath"
	"strings"
)

// The environment variables feedmill reads, for containers and CI where
// a file is awkward to change. They override the configuration file, and
// command-line flags override them: flag > environment > file > default.
// An empty variable counts as unset.
const (
	// EnvConfig names the configuration file when no --config flag does.
	EnvConfig = "FEEDMILL_CONFIG"
	// EnvRSSHub is the RSSHub instance (rsshub).
	EnvRSSHub = "FEEDMILL_RSSHUB"
	// EnvStore is the store: an SQLite file, relative to the working
	// folder, or a postgres:// URL (store).
	EnvStore = "FEEDMILL_STORE"
	// EnvListen is the address feedmill serve listens on (listen); the
	// --listen flag wins over it.
	EnvListen = "FEEDMILL_LISTEN"
	// EnvAdminToken is the admin token (admin_token), and
	// EnvAdminTokenFile a file holding it (admin_token_file). Either
	// replaces both settings of the file.
	EnvAdminToken     = "FEEDMILL_ADMIN_TOKEN"
	EnvAdminTokenFile = "FEEDMILL_ADMIN_TOKEN_FILE"
)

// DefaultPath returns the configuration file to read when no --config
// flag names one: $FEEDMILL_CONFIG, else DefaultFile. lookup is
// os.LookupEnv.
func DefaultPath(lookup func(string) (string, bool)) string {
	if v, ok := lookup(EnvConfig); ok && strings.TrimSpace(v) != "" {
		return v
	}
	return DefaultFile
}

// applyEnv sets what the environment overrides, and remembers which
// variable set each setting so that a message about it names the
// variable, not the file's line.
func (c *Config) applyEnv(lookup func(string) (string, bool)) {
	set := func(name, field string, to *string) bool {
		v, ok := lookup(name)
		if !ok || strings.TrimSpace(v) == "" {
			return false
		}
		*to = strings.TrimSpace(v)
		if c.env == nil {
			c.env = map[string]string{}
		}
		c.env[field] = name
		delete(c.lines, field)
		return true
	}
	set(EnvRSSHub, "rsshub", &c.RSSHub)
	if set(EnvStore, "store", &c.Store) && !strings.Contains(c.Store, "://") && !filepath.IsAbs(c.Store) {
		// A path from the environment is the working folder's, as on a
		// command line, not the configuration file's.
		if abs, err := filepath.Abs(c.Store); err == nil {
			c.Store = abs
		}
	}
	set(EnvListen, "listen", &c.Listen)
	var token, tokenFile string
	switch {
	case set(EnvAdminToken, "admin_token", &token):
		c.AdminToken, c.AdminTokenFile = token, ""
	case set(EnvAdminTokenFile, "admin_token_file", &tokenFile):
		if abs, err := filepath.Abs(tokenFile); err == nil {
			tokenFile = abs
		}
		c.AdminToken, c.AdminTokenFile = "", tokenFile
	}
}
