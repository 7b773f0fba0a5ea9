package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"path/filepath"
	"strings"

	"github.com/feedmill/feedmill/internal/catalog"
	"github.com/feedmill/feedmill/internal/config"
	"github.com/feedmill/feedmill/internal/migrate"
)

const importUsage = `Usage: feedmill import [-o FILE] [--force] [--rsshub URL] [--catalog FILE] PATH...

Reads the configuration of the RSSHub → Hexo scripts and OPML files and
writes a feedmill.yaml that reproduces them. PATH is an old installation's
folder (temple/*.md, temple/temple_config.yml, user_config.yml,
muti_work.py, source/_posts), one of those files, or an OPML file.

Group, source and channel keep the old docs' spelling, so each old post
keeps its path and feedmill adopts it untouched; max_items is 15 and
rsshub the base muti_work.py used, as the old scripts had them. Nothing is
fetched. With --catalog (RSSHub's catalog as a local file or the rsshub npm
package's folder), the routes RSSHub no longer has are listed with their
likely successor, and a flat OPML list takes its names from the catalog.

The file is written whole or not at all, and never over an existing one
without --force.

Flags:
`

func importCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), importUsage)
		fs.PrintDefaults()
	}
	out := fs.String("o", config.DefaultFile, "the configuration `file` to write")
	force := fs.Bool("force", false, "replace the file when it exists")
	rsshub := fs.String("rsshub", "", "the RSSHub base URL, when muti_work.py does not name it (default https://rsshub.app)")
	catalogLoc := fs.String("catalog", "", "RSSHub's route catalog as a local `file` or npm package folder, to check the routes against")
	paths, flagArgs := splitArgs(args, "o", "rsshub", "catalog")
	if ok, code := parseFlags(fs, flagArgs, stdout, stderr); !ok {
		return code
	}
	if len(paths) == 0 {
		fmt.Fprintln(stderr, "feedmill import: give the old installation's folder, its files, or OPML files")
		fs.SetOutput(stderr)
		fs.Usage()
		return exitUsage
	}
	var cat *catalog.Catalog
	if *catalogLoc != "" {
		if strings.HasPrefix(*catalogLoc, "http://") || strings.HasPrefix(*catalogLoc, "https://") {
			fmt.Fprintln(stderr, "feedmill import: --catalog must be a local file or folder: import fetches nothing (download it, or use the rsshub npm package)")
			return exitUsage
		}
		var err error
		cat, _, err = catalog.Load(ctx, catalog.Options{Location: *catalogLoc})
		if err != nil {
			fmt.Fprintf(stderr, "feedmill import: catalog: %v\n", err)
			return exitUsage
		}
	}
	im := &migrate.Importer{}
	if cat != nil {
		im.Namer = func(route string) (string, string, string, bool) {
			g, s, c, err := cat.Names(route)
			return g, s, c, err == nil
		}
	}
	for _, p := range paths {
		if err := im.Add(p); err != nil {
			fmt.Fprintf(stderr, "feedmill import: %v\n", err)
			if errors.Is(err, migrate.ErrInput) || errors.Is(err, iofs.ErrNotExist) {
				return exitUsage
			}
			return exitProblem
		}
	}
	res, err := im.Result()
	for _, n := range res.Notes {
		fmt.Fprintln(stdout, n)
	}
	if err != nil {
		fmt.Fprintf(stderr, "feedmill import: %v\n", err)
		return exitUsage
	}
	if len(res.Sources) == 0 {
		fmt.Fprintln(stderr, "feedmill import: found no sources to import: nothing written")
		return exitUsage
	}

	base := strings.TrimRight(strings.TrimSpace(*rsshub), "/")
	switch {
	case base == "" && res.RSSHub != "":
		base = res.RSSHub
	case base == "":
		base = "https://rsshub.app"
		fmt.Fprintf(stdout, "rsshub: no muti_work.py named the RSSHub base; %s is assumed (--rsshub sets another)\n", base)
	}
	outPath, err := filepath.Abs(*out)
	if err != nil {
		fmt.Fprintf(stderr, "feedmill import: %v\n", err)
		return exitUsage
	}
	outputDir := "source/_posts"
	if res.PostsDir != "" {
		if abs, err := filepath.Abs(res.PostsDir); err == nil {
			if rel, err := filepath.Rel(filepath.Dir(outPath), abs); err == nil {
				outputDir = filepath.ToSlash(rel)
			} else {
				outputDir = abs
			}
		}
	}
	notes := map[int]string{}
	if cat != nil {
		gone := 0
		for i, s := range res.Sources {
			if !strings.HasPrefix(s.URL, "/") {
				continue
			}
			if _, ok := cat.Lookup(s.URL); ok {
				continue
			}
			gone++
			msg := fmt.Sprintf("RSSHub no longer has %s (%s)", s.URL, s.Key())
			if r, ok := cat.Successor(s.URL); ok {
				route := r.Example
				if route == "" {
					route = r.Path
				}
				msg += fmt.Sprintf("; likely successor: %s (%s/%s/%s)", route, r.Group, r.Source, r.Channel)
			} else {
				msg += "; no clear successor: see feedmill routes " + firstSegment(s.URL)
			}
			fmt.Fprintln(stdout, msg)
			notes[i] = msg
		}
		if gone == 0 {
			fmt.Fprintf(stdout, "catalog: RSSHub has every imported route\n")
		}
	}
	data := migrate.Config(res, migrate.ConfigOptions{RSSHub: base, OutputDir: outputDir, From: paths, Notes: notes})
	// What is written must load: a name the old files allowed but
	// feedmill cannot use is said now, not at the first run.
	if _, err := config.Parse(outPath, data); err != nil {
		fmt.Fprintf(stderr, "feedmill import: the imported sources do not make a valid configuration: %v\nnothing written\n", err)
		return exitUsage
	}
	if err := writeNew(outPath, data, *force); err != nil {
		fmt.Fprintf(stderr, "feedmill import: %v\n", err)
		if errors.Is(err, errExists) {
			return exitUsage
		}
		return exitProblem
	}
	fmt.Fprintf(stdout, "wrote %s: %d sources, RSSHub %s, posts in %s\n", *out, len(res.Sources), base, outputDir)
	fmt.Fprintf(stdout, "next: feedmill check --config %s, then feedmill run --config %s\n", *out, *out)
	return exitOK
}

func firstSegment(p string) string {
	p = strings.TrimPrefix(p, "/")
	seg, _, _ := strings.Cut(p, "/")
	return seg
}

// splitArgs separates positional arguments from flags, so that they may
// come in any order ("feedmill import old/ -o x.yaml"); valueFlags are
// the flags that take a value as the next argument.
func splitArgs(args []string, valueFlags ...string) (words, flags []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(words, args[i+1:]...), flags
		case strings.HasPrefix(a, "-") && a != "-":
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if strings.Contains(name, "=") {
				continue
			}
			for _, v := range valueFlags {
				if name == v && i+1 < len(args) {
					i++
					flags = append(flags, args[i])
				}
			}
		default:
			words = append(words, a)
		}
	}
	return words, flags
}
