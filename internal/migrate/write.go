package migrate

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// ConfigOptions say how WriteConfig writes a feedmill.yaml.
type ConfigOptions struct {
	// RSSHub is the base URL of the routes.
	RSSHub string
	// OutputDir is output.dir: the old installation's post folder,
	// relative to the configuration file's folder.
	OutputDir string
	// From names what was imported, for the header.
	From []string
	// Notes are comments put above a source, by index (a route RSSHub no
	// longer has, say).
	Notes map[int]string
}

// Config returns a feedmill.yaml for the imported sources: the old
// names, max_items 15 as the old scripts kept, and the old RSSHub base.
func Config(res Result, opts ConfigOptions) []byte {
	var b bytes.Buffer
	b.WriteString("# feedmill configuration written by `feedmill import`")
	if len(opts.From) > 0 {
		b.WriteString(" from " + oneLine(strings.Join(opts.From, ", ")))
	}
	b.WriteString(`.
# Group, source and channel are spelled as the old docs pages and diy:
# entries spelled them, so each post keeps its old path; feedmill adopts the
# old posts it would write the same and writes new items beside them.
# Check it with 'feedmill check', then run 'feedmill run'.
`)
	fmt.Fprintf(&b, "rsshub: %s\n", scalar(opts.RSSHub))
	b.WriteString("max_items: 15               # the old scripts kept the 15 newest items of each route\n")
	b.WriteString("output:\n")
	fmt.Fprintf(&b, "  dir: %s\n", scalar(opts.OutputDir))
	b.WriteString("store: feedmill.db\n")
	b.WriteString("sources:\n")
	for i, s := range res.Sources {
		if note, ok := opts.Notes[i]; ok {
			for _, l := range strings.Split(note, "\n") {
				fmt.Fprintf(&b, "  # %s\n", l)
			}
		}
		fmt.Fprintf(&b, "  - group: %s\n", scalar(s.Group))
		fmt.Fprintf(&b, "    source: %s\n", scalar(s.Source))
		fmt.Fprintf(&b, "    channel: %s\n", scalar(s.Channel))
		fmt.Fprintf(&b, "    url: %s", scalar(s.URL))
		if s.From != "" {
			fmt.Fprintf(&b, "  # %s", oneLine(s.From))
		}
		b.WriteString("\n")
	}
	return b.Bytes()
}

// scalar writes s as a YAML scalar that reads back as s: plain when it
// can be, quoted when YAML would read it otherwise.
func scalar(s string) string {
	if plain(s) {
		return s
	}
	out, err := yaml.Marshal(s)
	if err != nil {
		return fmt.Sprintf("%q", s)
	}
	v := strings.TrimSuffix(string(out), "\n")
	if strings.Contains(v, "\n") || strings.HasPrefix(v, "|") || strings.HasPrefix(v, ">") {
		return fmt.Sprintf("%q", s) // a JSON string is a YAML double-quoted scalar
	}
	return v
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// plain reports whether s reads back as itself unquoted, for the common
// names and paths, without the cost of the YAML encoder: it starts with a
// letter (not an ASCII one, which could spell true, null or yes) or a
// slash, and holds only letters, digits, spaces inside, and -_./.
func plain(s string) bool {
	if s == "" || strings.HasSuffix(s, " ") {
		return false
	}
	for i, r := range s {
		switch {
		case i == 0 && (r == '/' || (r > unicode.MaxASCII && unicode.IsLetter(r))):
		case i == 0:
			return false
		case unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("-_./", r):
		case r == ' ' && !strings.HasPrefix(s, "/"):
		default:
			return false
		}
	}
	return true
}
