package backend

import (
	"context"
	"errors"

	"github.com/feedmill/feedmill/internal/store"
)

func openPostgres(ctx context.Context, dsn string) (store.Store, error) {
	return nil, errors.New("PostgreSQL store: not in this build yet")
}
