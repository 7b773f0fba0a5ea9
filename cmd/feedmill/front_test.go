package main

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedmill/feedmill/internal/config"
)

func TestCheck(t *testing.T) {
	hub := newRSSHub(t)
	good := writeConfig(t, "rsshub: "+hub.URL+"\nsources:\n  - /guancha/headline\n  - /twitter/user/_RSSHub\n  - {group: g, source: s, channel: c, url: https://example.com/feed.xml}\n")
	code, out, errOut := runCLI(t, "check", "--config", good)
	if code != 0 || !strings.Contains(out, "ok, 3 sources, 2 routes in RSSHub's catalog") ||
		!strings.Contains(out, "note: /twitter/user/_RSSHub (社交媒体/X (Twitter)/User timeline) is marked config") {
		t.Errorf("good config: exit %d\n%s\n%s", code, out, errOut)
	}
	bad := writeConfig(t, "rsshub: "+hub.URL+"\nsources:\n  - /guancha/headline\n  - {group: a, source: b, channel: c, url: /guancha/hedline/x}\n  - {group: a, source: b, channel: d, url: /guancha/topic/:id}\n")
	code, _, errOut = runCLI(t, "check", "--config", bad)
	if code != 2 || !strings.Contains(errOut, "sources[1].url: route /guancha/hedline/x is not in RSSHub's catalog; the closest routes are /guancha/headline") ||
		!strings.Contains(errOut, "sources[2].url: route /guancha/topic/:id/:order? needs its parameters filled: id") ||
		!strings.Contains(errOut, "2 of 3 routes need a change") {
		t.Errorf("bad routes: exit %d\n%s", code, errOut)
	}
	dup := writeConfig(t, "rsshub: "+hub.URL+"\nsources:\n  - /guancha/headline\n  - {group: 新媒体, source: 观察者网, channel: 头条, url: /guancha}\n")
	if code, _, errOut = runCLI(t, "check", "--config", dup); code != 2 || !strings.Contains(errOut, `"新媒体/观察者网/头条" is already used by sources[0]`) {
		t.Errorf("duplicate after naming: exit %d\n%s", code, errOut)
	}
	if code, _, errOut = runCLI(t, "check", "--config", writeConfig(t, "sources: []\n")); code != 2 {
		t.Errorf("invalid config: exit %d\n%s", code, errOut)
	}
	if hub.apiHits.Load() != 3 {
		t.Errorf("%d catalog requests: each configuration has its own store and cache", hub.apiHits.Load())
	}
}

func TestExportOPML(t *testing.T) {
	hub := newRSSHub(t)
	path := writeConfig(t, "rsshub: "+hub.URL+"\nsources:\n  - /guancha/headline\n"+
		"  - {group: 新媒体, source: 观察者网, channel: 要闻, url: '/guancha/member/x?key=s3cret'}\n"+
		"  - {group: 博客, source: 某人, channel: 文章, url: 'https://user:pw@example.com/feed.xml?token=abc&page=1'}\n"+
		"  - {group: 本地, source: 文件, channel: 测试, url: 'file:feed.xml'}\n")
	code, out, errOut := runCLI(t, "export", "--opml", "--config", path)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	for _, secret := range []string{"s3cret", "abc", "pw@", "file:"} {
		if strings.Contains(out, secret) {
			t.Errorf("the OPML shows %q:\n%s", secret, out)
		}
	}
	var doc struct {
		Body []struct {
			Text     string `xml:"text,attr"`
			Outlines []struct {
				Text     string `xml:"text,attr"`
				Outlines []struct {
					Text   string `xml:"text,attr"`
					XMLURL string `xml:"xmlUrl,attr"`
				} `xml:"outline"`
			} `xml:"outline"`
		} `xml:"body>outline"`
	}
	if err := xml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(doc.Body) != 2 || doc.Body[0].Text != "新媒体" || len(doc.Body[0].Outlines) != 1 || len(doc.Body[0].Outlines[0].Outlines) != 2 ||
		doc.Body[0].Outlines[0].Outlines[0].XMLURL != hub.URL+"/guancha/headline" || doc.Body[1].Outlines[0].Outlines[0].XMLURL != "https://example.com/feed.xml?page=1" {
		t.Errorf("outlines: %+v", doc)
	}
	file := filepath.Join(t.TempDir(), "feeds.opml")
	if code, _, _ := runCLI(t, "export", "--opml", "--config", path, "-o", file); code != 0 {
		t.Errorf("-o: exit %d", code)
	}
	if code, _, errOut := runCLI(t, "export", "--opml", "--config", path, "-o", file); code != 2 || !strings.Contains(errOut, "--force") {
		t.Errorf("-o over a file: exit %d\n%s", code, errOut)
	}
	if code, _, _ := runCLI(t, "export", "--config", path); code != 2 {
		t.Errorf("no format: exit %d", code)
	}
}

func TestInit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "blog")
	code, out, errOut := runCLI(t, "init", dir, "--rsshub", "https://rsshub.example.org/")
	if code != 0 || !strings.Contains(out, "wrote "+filepath.Join(dir, "feedmill.yaml")) {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	path := filepath.Join(dir, "feedmill.yaml")
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RSSHub != "https://rsshub.example.org" || len(cfg.Sources) != 6 || !cfg.NeedsCatalog() || cfg.MaxItems != 15 {
		t.Errorf("starter: rsshub %q, %d sources", cfg.RSSHub, len(cfg.Sources))
	}
	before, _ := os.ReadFile(path)
	if code, _, errOut := runCLI(t, "init", dir); code != 2 || !strings.Contains(errOut, "never replaces it") {
		t.Errorf("second init: exit %d\n%s", code, errOut)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Error("the file was replaced")
	}
	if code, _, _ := runCLI(t, "init", "--rsshub", "rsshub.app", t.TempDir()); code != 2 {
		t.Errorf("bad --rsshub: exit %d", code)
	}
}
