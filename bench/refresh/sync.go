package main

import "github.com/feedmill/feedmill/internal/atomicfile"

func syncDir(dir string) error { return atomicfile.SyncFS(dir) }
