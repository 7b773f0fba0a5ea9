package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/feedmill/feedmill/internal/config"
	"github.com/feedmill/feedmill/internal/feed"
)

const pauseUsage = `Usage: feedmill pause [--config PATH] SOURCE...

Pauses each SOURCE: feedmill run, run --due and serve leave it alone, and
every surface shows it as "paused", until 'feedmill resume SOURCE'. (A
route whose server asked to wait shows as "waiting" instead, and comes
back by itself.) SOURCE is the source's group/source/channel as in the
configuration (新媒体/观察者网/头条), or its url (/guancha/headline, or the
full URL).

Flags:
`

const resumeUsage = `Usage: feedmill resume [--config PATH] SOURCE...

Resumes each SOURCE paused by 'feedmill pause' or on /admin: it is fetched
again from the next run, or at once by a running feedmill serve when it is
due. SOURCE is the source's group/source/channel as in the configuration,
or its url.

Flags:
`

func pauseCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return setPaused(ctx, "pause", pauseUsage, true, args, stdout, stderr)
}

func resumeCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return setPaused(ctx, "resume", resumeUsage, false, args, stdout, stderr)
}

func setPaused(ctx context.Context, name, usage string, paused bool, args []string, stdout, stderr io.Writer) int {
	fs, configPath := configFlags(name, usage)
	// Flags may come before or after the sources.
	var names []string
	for {
		fs.SetOutput(io.Discard)
		if err := fs.Parse(args); err != nil {
			_, code := parseFlags(fs, args, stdout, stderr) // says what is wrong, or prints the help
			return code
		}
		if fs.NArg() == 0 {
			break
		}
		names = append(names, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(names) == 0 {
		fmt.Fprintf(stderr, "feedmill %s: name a source: group/source/channel or its url\n", name)
		return exitUsage
	}
	cfg, code := loadConfig(ctx, *configPath, stderr)
	if code != exitOK {
		return code
	}
	var picked []feed.Source
	for _, arg := range names {
		src, err := findSource(cfg, arg)
		if err != nil {
			fmt.Fprintf(stderr, "feedmill %s: %v\n", name, err)
			return exitUsage
		}
		picked = append(picked, src)
	}
	st, ok := openStore(ctx, cfg, stderr)
	if !ok {
		return exitProblem
	}
	defer st.Close()
	for _, src := range picked {
		row, err := st.EnsureSource(ctx, src)
		if err == nil {
			err = st.SetPaused(ctx, row.ID, paused)
		}
		if err != nil {
			fmt.Fprintf(stderr, "feedmill: store: %v\n", err)
			return exitProblem
		}
		switch {
		case paused && row.Paused, !paused && !row.Paused:
			fmt.Fprintf(stdout, "%s was already %s\n", src.Key(), map[bool]string{true: "paused", false: "not paused"}[paused])
		case paused:
			fmt.Fprintf(stdout, "paused %s; 'feedmill resume %s' fetches it again\n", src.Key(), shellQuote(src.Key()))
		default:
			fmt.Fprintf(stdout, "resumed %s\n", src.Key())
		}
	}
	return exitOK
}

// findSource finds the configured source arg names: by its
// group/source/channel, else by its url as written or resolved.
func findSource(cfg config.Config, arg string) (feed.Source, error) {
	sources := cfg.FeedSources()
	for _, s := range sources {
		if s.Key() == arg {
			return s, nil
		}
	}
	var found []feed.Source
	for i, s := range sources {
		if s.URL == arg || strings.TrimSpace(cfg.Sources[i].URL) == arg || strings.TrimSpace(cfg.Sources[i].Page) == arg {
			found = append(found, s)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return feed.Source{}, fmt.Errorf("no source %q in %s: give group/source/channel (see feedmill sources) or the url as configured", arg, cfg.File)
	}
	keys := make([]string, len(found))
	for i, s := range found {
		keys[i] = s.Key()
	}
	return feed.Source{}, fmt.Errorf("%q is the url of %d sources (%s): give one's group/source/channel", arg, len(found), strings.Join(keys, ", "))
}

// shellQuote quotes s for a shell when it needs it, for commands that
// messages suggest.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
