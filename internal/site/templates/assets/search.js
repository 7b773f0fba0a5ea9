// Static search for the feedmill news site: no server, no library.
// search/index.json lists shards of posts, newest first; they are loaded
// one by one until enough posts match every word of the query.
(function () {
  'use strict';
  var script = document.currentScript;
  var indexURL = script && script.getAttribute('data-index');
  var input = document.getElementById('q');
  var list = document.getElementById('results');
  var status = document.getElementById('status');
  if (!indexURL || !input || !list || !status) return;
  var MAX = 100;
  var shards = null; // [{u, n}]
  var loaded = {};   // shard URL -> entries
  var run = 0;

  function getJSON(url) {
    return fetch(url, { credentials: 'same-origin' }).then(function (r) {
      if (!r.ok) throw new Error(url + ': ' + r.status);
      return r.json();
    });
  }

  function terms(q) {
    return q.toLowerCase().split(/\s+/).filter(function (t) { return t.length > 0; });
  }

  function matches(e, ts) {
    var hay = ((e.t || '') + '\n' + (e.s || '') + '\n' + (e.x || '')).toLowerCase();
    for (var i = 0; i < ts.length; i++) {
      if (hay.indexOf(ts[i]) < 0) return false;
    }
    return true;
  }

  // highlight appends text to el with the query's words in <mark>.
  function highlight(el, text, ts) {
    var lower = text.toLowerCase();
    var i = 0;
    while (i < text.length) {
      var best = -1, len = 0;
      for (var k = 0; k < ts.length; k++) {
        var at = lower.indexOf(ts[k], i);
        if (at >= 0 && (best < 0 || at < best)) { best = at; len = ts[k].length; }
      }
      if (best < 0) { el.appendChild(document.createTextNode(text.slice(i))); return; }
      if (best > i) el.appendChild(document.createTextNode(text.slice(i, best)));
      var m = document.createElement('mark');
      m.textContent = text.slice(best, best + len);
      el.appendChild(m);
      i = best + len;
    }
  }

  function show(e, ts) {
    var li = document.createElement('li');
    li.className = 'entry';
    var text = document.createElement('div');
    text.className = 'text';
    var h = document.createElement('h2');
    var a = document.createElement('a');
    a.href = e.u;
    highlight(a, e.t || '', ts);
    h.appendChild(a);
    text.appendChild(h);
    var meta = document.createElement('p');
    meta.className = 'meta';
    meta.textContent = (e.s || '') + ' · ' + (e.d || '');
    text.appendChild(meta);
    if (e.x) {
      var x = document.createElement('p');
      x.className = 'excerpt';
      highlight(x, e.x, ts);
      text.appendChild(x);
    }
    li.appendChild(text);
    list.appendChild(li);
  }

  function search(q) {
    var mine = ++run;
    var ts = terms(q);
    list.textContent = '';
    if (ts.length === 0) { status.textContent = ''; return; }
    status.textContent = '搜索中…';
    var found = 0;
    var ready = shards ? Promise.resolve(shards) : getJSON(indexURL).then(function (idx) { shards = idx.shards || []; return shards; });
    ready.then(function (all) {
      var i = 0;
      function next() {
        if (mine !== run) return;
        if (i >= all.length || found >= MAX) {
          status.textContent = found === 0 ? '没有找到“' + q + '”。' : '找到 ' + found + (found >= MAX ? '+' : '') + ' 篇。';
          return;
        }
        var s = all[i++];
        var have = loaded[s.u] ? Promise.resolve(loaded[s.u]) : getJSON(s.u).then(function (es) { loaded[s.u] = es; return es; });
        have.then(function (es) {
          if (mine !== run) return;
          for (var j = 0; j < es.length && found < MAX; j++) {
            if (matches(es[j], ts)) { show(es[j], ts); found++; }
          }
          status.textContent = '找到 ' + found + ' 篇…';
          next();
        }).catch(fail);
      }
      next();
    }).catch(fail);
  }

  function fail(err) {
    status.textContent = '搜索索引加载失败。';
    if (window.console) console.warn(err);
  }

  var q = new URLSearchParams(window.location.search).get('q') || '';
  input.value = q;
  var timer = null;
  input.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var v = input.value.trim();
      var url = new URL(window.location.href);
      if (v) url.searchParams.set('q', v); else url.searchParams.delete('q');
      history.replaceState(null, '', url);
      search(v);
    }, 200);
  });
  if (q) search(q.trim());
})();
