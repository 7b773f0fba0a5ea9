package config

import (
	"errors"
	"fmt"
	"github.com/feedmill/feedmill/internal/suggest"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxErrors caps how many mistakes one load reports: enough to fix a
// file in one go, not a screenful of the same slip.
const maxErrors = 20

// Errors is every mistake found in one configuration, in file order; its
// message has one line each. errors.As finds the first *Error in it.
type Errors []*Error

func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, err := range e {
		lines[i] = err.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the mistakes, for errors.As and errors.Is.
func (e Errors) Unwrap() []error {
	out := make([]error, len(e))
	for i, err := range e {
		out[i] = err
	}
	return out
}

// errorList gathers the mistakes of one load, up to maxErrors.
type errorList Errors

// add keeps err (an *Error, an Errors, or nil) unless the list is full,
// already says the same thing at the same place (a merge key repeats the
// mistakes of the mapping it brings in), or already has a mistake in the
// same setting (a value of the wrong type is then also missing).
func (l *errorList) add(err error) {
	if err == nil {
		return
	}
	var list Errors
	if !errors.As(err, &list) {
		var e *Error
		if !errors.As(err, &e) {
			e = &Error{Msg: err.Error()}
		}
		list = Errors{e}
	}
	for _, e := range list {
		if l.full() {
			return
		}
		if !slices.ContainsFunc(*l, func(o *Error) bool {
			return o.Line == e.Line && o.Column == e.Column && o.Msg == e.Msg && e.Line > 0 || o.Field == e.Field && e.Field != ""
		}) {
			*l = append(*l, e)
		}
	}
}

func (l *errorList) full() bool { return len(*l) >= maxErrors }

// err returns nil, the one *Error, or the Errors: the file's structure
// (unknown settings, wrong types) first, then the values, each in file
// order.
func (l errorList) err() error {
	switch len(l) {
	case 0:
		return nil
	case 1:
		return l[0]
	}
	return slices.Clone(Errors(l))
}

// position is where a node starts in the file.
type position struct{ Line, Column int }

// firstColumn is the column of the first setting that starts on line, or
// 0 when none does.
func (c Config) firstColumn(line int) int {
	col := 0
	for _, at := range c.lines {
		if at.Line == line && (col == 0 || at.Column < col) {
			col = at.Column
		}
	}
	return col
}

// oldSystemKeys are the top-level keys of the old RSSHub-to-Hexo scripts'
// configuration, which 'feedmill import' converts.
var oldSystemKeys = map[string]bool{"diy": true, "slect": true}

// didYouMean says which known setting a misspelt key probably meant: the one
// that differs only in case, dashes and underscores, else the nearest
// within a third of its length in edits.
func didYouMean(key string, fields map[string]reflect.Type) string {
	norm := func(s string) string {
		return strings.ToLower(strings.NewReplacer("-", "", "_", "").Replace(s))
	}
	best, bestDist := "", 0
	for k := range fields {
		if norm(k) == norm(key) {
			return fmt.Sprintf("; did you mean %q?", k)
		}
		d := suggest.Distance(norm(k), norm(key))
		if d <= max(1, len([]rune(k))/3) && (best == "" || d < bestDist || d == bestDist && k < best) {
			best, bestDist = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// yamlParserProblems are the messages of the YAML library's parser (as
// opposed to its scanner). For these the library gives the line of the
// enclosing collection counted from 0, one above the one it means.
var yamlParserProblems = []string{
	"did not find expected ',' or '}'",
	"did not find expected ',' or ']'",
	"did not find expected key",
	"did not find expected '-' indicator",
	"did not find expected node content",
	"did not find expected <document start>",
	"found undefined tag handle",
}

// yamlError turns a YAML library error into an Error at its line, with a
// column and a hint where the bytes show what went wrong.
func yamlError(path string, data []byte, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = strings.Join(te.Errors, "; ")
	}
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, after, ok := strings.Cut(rest, ":"); ok {
			if v, err := strconv.Atoi(n); err == nil {
				line = v
				msg = strings.TrimSpace(after)
			}
		}
	}
	if te == nil && slices.Contains(yamlParserProblems, msg) {
		line++
	}
	msg = strings.ReplaceAll(msg, "unmarshal errors:\n  ", "")
	e := &Error{File: path, Line: line, Msg: "invalid YAML: " + msg}
	if te == nil && line > 0 {
		e.Column, e.Msg = yamlHint(data, line, e.Msg)
	}
	return e
}

// flowValue finds, in a line of a flow mapping ({url: /x?limit=5}), a
// plain value holding ':', '?', '#' or '{'-'}' characters, which YAML reads
// as syntax there: such a value must be quoted.
var flowValue = regexp.MustCompile(`([{,]\s*)([A-Za-z_]+):\s+([^\s"'{},][^,{}]*?[?:#\[\]][^,{}]*?)\s*[,}]`)

// yamlHint returns the column of the trouble on line and msg with a hint,
// when the line shows a known cause: an unquoted flow mapping value
// holding characters YAML reads as syntax.
func yamlHint(data []byte, line int, msg string) (int, string) {
	lines := strings.Split(string(data), "\n")
	if line > len(lines) {
		return 0, msg
	}
	text := lines[line-1]
	if m := flowValue.FindStringSubmatchIndex(text); m != nil {
		key, value := text[m[4]:m[5]], text[m[6]:m[7]]
		col := len([]rune(text[:m[6]])) + 1
		return col, fmt.Sprintf("%s; %s: %s holds a character that YAML reads as syntax inside { }: quote it, as %s: %q", msg, key, value, key, value)
	}
	col := len([]rune(text)) - len([]rune(strings.TrimLeft(text, " \t"))) + 1
	if strings.TrimSpace(text) == "" {
		col = 0
	}
	return col, msg
}
