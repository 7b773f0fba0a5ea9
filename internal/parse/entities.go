package parse

import (
	"bytes"
)

// Limits of internal entity expansion: a document's DTD may define
// entities in terms of each other ("billion laughs"), so expansion stops
// at maxEntityDepth levels of references and after maxExpansion bytes (and references)
// for the whole document; references past that are dropped.
const (
	maxEntityDepth = 16
	maxExpansion   = 64 << 10
)

// expandEntities replaces each reference to an internal entity that the
// document's DOCTYPE declares (<!ENTITY name "value">) with its value,
// which encoding/xml would leave as text ("&a;"). External entities
// (SYSTEM, PUBLIC) are never fetched: references to them are dropped, as
// are parameter entities. Values are expanded as text: markup characters
// in them are escaped. The DOCTYPE itself is dropped. It returns data
// itself and false when the document declares no entity: the check reads
// the prolog alone.
func expandEntities(data []byte) ([]byte, bool) {
	start, end := doctype(data)
	if start < 0 {
		return data, false
	}
	ents := entityDecls(data[start:end])
	if len(ents) == 0 {
		return data, false
	}
	x := expander{ents: ents, budget: maxExpansion}
	out := make([]byte, 0, len(data)+1024)
	// The DOCTYPE goes: its entities are expanded, and a long internal
	// subset would hide the root element from gofeed's detection, which
	// reads the first 4 KiB.
	out = append(out, data[:start]...)
	body := data[end:]
	for i := 0; i < len(body); {
		j := bytes.IndexAny(body[i:], "<&")
		if j < 0 {
			out = append(out, body[i:]...)
			break
		}
		out = append(out, body[i:i+j]...)
		i += j
		rest := body[i:]
		switch {
		case bytes.HasPrefix(rest, cdataOpen):
			e := skipPast(body, i+len(cdataOpen), cdataClose)
			out = append(out, body[i:e]...)
			i = e
		case bytes.HasPrefix(rest, commentOpen):
			e := skipPast(body, i+len(commentOpen), commentClose)
			out = append(out, body[i:e]...)
			i = e
		case rest[0] == '&':
			if name, n := entityRef(rest); n > 0 {
				if _, ok := ents[name]; ok {
					out = x.expand(out, name, 0)
					i += n
					continue
				}
			}
			out = append(out, '&')
			i++
		default:
			out = append(out, '<')
			i++
		}
	}
	return out, true
}

// entity is a declared general entity; external ones have no value.
type entity struct {
	value    []byte
	external bool
}

type expander struct {
	ents   map[string]entity
	budget int
}

// expand appends the value of entity name, as escaped text, to out.
func (x *expander) expand(out []byte, name string, depth int) []byte {
	e := x.ents[name]
	x.budget-- // a reference costs, even to an empty value
	if e.external || depth >= maxEntityDepth || x.budget <= 0 {
		return out
	}
	v := e.value
	for i := 0; i < len(v) && x.budget > 0; i++ {
		c := v[i]
		if c == '&' {
			if ref, n := entityRef(v[i:]); n > 0 {
				if _, ok := x.ents[ref]; ok {
					out = x.expand(out, ref, depth+1)
					i += n - 1
					continue
				}
				if predefined(ref) || ref[0] == '#' {
					out = append(out, v[i:i+n]...)
					x.budget -= n
					i += n - 1
					continue
				}
			}
		}
		switch c {
		case '&':
			out = append(out, "&amp;"...)
		case '<':
			out = append(out, "&lt;"...)
		case '"':
			out = append(out, "&quot;"...)
		case '\'':
			out = append(out, "&apos;"...)
		default:
			out = append(out, c)
		}
		x.budget--
	}
	return out
}

func predefined(name string) bool {
	switch name {
	case "lt", "gt", "amp", "quot", "apos":
		return true
	}
	return false
}

// entityRef reads the reference b starts with ("&name;" or "&#38;"):
// the name ("#38" for a character reference) and its length, 0 when b
// starts with none.
func entityRef(b []byte) (string, int) {
	end := bytes.IndexByte(b[:min(len(b), 66)], ';')
	if end < 2 {
		return "", 0
	}
	for _, c := range b[1:end] {
		if c <= ' ' || c == '&' || c == '<' || c == '>' || c == '"' || c == '\'' {
			return "", 0
		}
	}
	return string(b[1:end]), end + 1
}

// doctype returns the span of the document's DOCTYPE declaration, found
// in the prolog only (after an XML declaration, white space, comments and
// processing instructions); -1 when there is none.
func doctype(data []byte) (int, int) {
	i := skipMisc(data, 0)
	if bytes.HasPrefix(data[i:], []byte("<!DOCTYPE")) {
		return i, declEnd(data, i)
	}
	return -1, -1
}

// skipMisc returns where the prolog's white space, processing
// instructions and comments from i end.
func skipMisc(data []byte, i int) int {
	for i < len(data) {
		for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n') {
			i++
		}
		rest := data[i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<?")):
			i = skipPast(data, i+2, []byte("?>"))
		case bytes.HasPrefix(rest, commentOpen):
			i = skipPast(data, i+len(commentOpen), commentClose)
		default:
			return i
		}
	}
	return i
}

// xmlDeclaration is the declaration of a document that fetch has made
// UTF-8.
const xmlDeclaration = `<?xml version="1.0" encoding="UTF-8"?>`

// rootStart returns where the root element starts when a prolog of
// comments, processing instructions, white space and a DOCTYPE precedes
// it; 0 when nothing does or no element follows.
func rootStart(data []byte) int {
	i := skipMisc(data, 0)
	if bytes.HasPrefix(data[i:], []byte("<!DOCTYPE")) {
		i = skipMisc(data, declEnd(data, i))
	}
	if rest := data[min(i, len(data)):]; len(rest) > 1 && rest[0] == '<' && (isASCIILetter(rest[1]) || rest[1] >= 0x80 || rest[1] == '_') {
		return i
	}
	return 0
}

// declEnd returns the index after the '>' that closes the declaration at
// i, past quoted strings, an internal subset in brackets and the comments
// and declarations in it.
func declEnd(data []byte, i int) int {
	depth := 0
	for k := i + 2; k < len(data); k++ {
		switch c := data[k]; c {
		case '"', '\'':
			q := bytes.IndexByte(data[k+1:], c)
			if q < 0 {
				return len(data)
			}
			k += q + 1
		case '[':
			depth++
		case ']':
			depth--
		case '<':
			if bytes.HasPrefix(data[k:], commentOpen) {
				k = skipPast(data, k+len(commentOpen), commentClose) - 1
			}
		case '>':
			if depth <= 0 {
				return k + 1
			}
		}
	}
	return len(data)
}

// entityDecls reads the general entity declarations of a DOCTYPE's
// internal subset; the first declaration of a name wins, as in XML.
func entityDecls(decl []byte) map[string]entity {
	var ents map[string]entity
	for {
		k := bytes.Index(decl, []byte("<!ENTITY"))
		if k < 0 {
			return ents
		}
		decl = decl[k+len("<!ENTITY"):]
		f := declFields(decl)
		if len(f) < 2 || string(f[0]) == "%" {
			continue // a parameter entity, or no declaration
		}
		name := string(f[0])
		if _, ok := ents[name]; ok {
			continue
		}
		if ents == nil {
			ents = map[string]entity{}
		}
		if q := f[1]; len(q) >= 2 && (q[0] == '"' || q[0] == '\'') {
			ents[name] = entity{value: q[1 : len(q)-1]}
		} else {
			ents[name] = entity{external: true}
		}
	}
}

// declFields splits a declaration's text up to its '>' into names and
// quoted strings (quotes kept).
func declFields(b []byte) [][]byte {
	var f [][]byte
	for i := 0; i < len(b) && len(f) < 4; {
		c := b[i]
		switch {
		case c == '>':
			return f
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '"' || c == '\'':
			q := bytes.IndexByte(b[i+1:], c)
			if q < 0 {
				return f
			}
			f = append(f, b[i:i+q+2])
			i += q + 2
		default:
			k := i
			for k < len(b) && b[k] != ' ' && b[k] != '\t' && b[k] != '\r' && b[k] != '\n' && b[k] != '>' && b[k] != '"' && b[k] != '\'' {
				k++
			}
			f = append(f, b[i:k])
			i = k
		}
	}
	return f
}
