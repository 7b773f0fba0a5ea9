package publish

import (
	"bytes"

	"go.yaml.in/yaml/v3"
)

// FrontMatter is YAML front matter, written between "---" lines, in the
// order its fields are added. Every string is double-quoted and kept on
// one line, so that no YAML reader (Hugo's, Jekyll's YAML 1.1 Psych)
// reads a title such as "yes", "1:20" or "- x" as anything but text.
type FrontMatter struct {
	root yaml.Node
}

func (f *FrontMatter) add(key string, value *yaml.Node) {
	if f.root.Kind == 0 {
		f.root.Kind = yaml.MappingNode
	}
	f.root.Content = append(f.root.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, value)
}

func quoted(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Style: yaml.DoubleQuotedStyle, Value: OneLine(s)}
}

// String adds a text field.
func (f *FrontMatter) String(key, value string) { f.add(key, quoted(value)) }

// Plain adds a field written as is: a date, a boolean, a layout name.
// value must be a YAML scalar of one line.
func (f *FrontMatter) Plain(key, value string) {
	f.add(key, &yaml.Node{Kind: yaml.ScalarNode, Value: value})
}

// Strings adds a list of texts.
func (f *FrontMatter) Strings(key string, values []string) {
	n := &yaml.Node{Kind: yaml.SequenceNode}
	for _, v := range values {
		n.Content = append(n.Content, quoted(v))
	}
	f.add(key, n)
}

// Map adds a mapping of texts, given as key, value, key, value, ….
func (f *FrontMatter) Map(key string, kv ...string) {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(kv); i += 2 {
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: kv[i]}, quoted(kv[i+1]))
	}
	f.add(key, n)
}

// Bytes returns the front matter with its "---" lines.
func (f *FrontMatter) Bytes() []byte {
	var b bytes.Buffer
	b.WriteString("---\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if f.root.Kind != 0 {
		// Encoding nodes built here cannot fail.
		_ = enc.Encode(&f.root)
	}
	_ = enc.Close()
	b.WriteString("---\n")
	return b.Bytes()
}
