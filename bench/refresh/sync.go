package main

import "github.com/feedmill/feedmill/internal/publish"

func syncDir(dir string) error { return publish.Sync(dir) }
