// Command feedmill turns feeds into a news site: it fetches RSS, Atom and
// JSON Feed sources (RSSHub routes by path) and publishes each new item as
// a Hexo post.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit statuses.
const (
	exitOK      = 0
	exitFailed  = 1 // some source failed; the others were processed
	exitUsage   = 2 // bad command line or configuration
	exitProblem = 3 // the run could not go on (store or disk failure)
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"run", "fetch every source once and publish new items as posts", runCommand},
		{"build", "render the news site from the store into site.dir", buildCommand},
		{"serve", "run as a daemon: fetch sources on their schedule, serve /healthz and /metrics", serveCommand},
		{"sources", "list the sources with their status, errors and next due time", sourcesCommand},
		{"routes", "list the routes of RSSHub's catalog matching a query", routesCommand},
		{"import", "write a feedmill.yaml from the RSSHub → Hexo scripts' configuration or OPML files", importCommand},
		{"check", "check the configuration and every route against RSSHub's catalog, fetching no feed", checkCommand},
		{"export", "write the sources as OPML (--opml)", exportCommand},
		{"init", "write a commented starter feedmill.yaml", initCommand},
		{"migrate", "copy the store into another, empty one (SQLite to PostgreSQL or back)", migrateCommand},
		{"pause", "pause a source (group/source/channel or url) until resumed", pauseCommand},
		{"resume", "resume a paused source", resumeCommand},
		{"prune", "remove the unchanged post files of sources no longer configured (lists them without --yes)", pruneCommand},
		{"healthcheck", "ask a running feedmill serve for /healthz (the container's health check)", healthcheckCommand},
		{"version", "print feedmill's version", versionCommand},
	}
}

const usageHead = `feedmill turns feeds into a news site: it fetches RSS, Atom and JSON Feed
sources (RSSHub routes by path) and writes each new item as a post under
output.dir: Hexo (the default), Hugo or Jekyll (output.format).

Usage:
  feedmill <command> [flags]

Commands:
`

func usage(w io.Writer) {
	fmt.Fprint(w, usageHead)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nRun 'feedmill help <command>' (or 'feedmill <command> --help') for a command's flags.\n")
}

// run is main without the process: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		// "feedmill help run" is "feedmill run --help".
		if len(args) > 1 && args[0] == "help" {
			for _, c := range commands() {
				if c.name == args[1] {
					return c.run(ctx, []string{"--help"}, stdout, stderr)
				}
			}
			fmt.Fprintf(stderr, "feedmill help: unknown command %q\n\n", args[1])
			usage(stderr)
			return exitUsage
		}
		usage(stdout)
		return exitOK
	case "-version", "--version":
		return versionCommand(ctx, nil, stdout, stderr)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "feedmill: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

// parseFlags parses a subcommand's flags; it returns false with the exit
// status when the command should not go on (help asked, or a bad flag).
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (bool, int) {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fs.Usage()
		return false, exitOK
	case err != nil:
		fmt.Fprintf(stderr, "feedmill %s: %v\n", fs.Name(), err)
		fs.SetOutput(stderr)
		fs.Usage()
		return false, exitUsage
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "feedmill %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return false, exitUsage
	}
	return true, exitOK
}

func versionCommand(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprintln(fs.Output(), "Usage: feedmill version") }
	if ok, code := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	fmt.Fprintf(stdout, "feedmill %s\n", buildVersion())
	return exitOK
}
