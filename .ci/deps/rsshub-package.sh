#!/usr/bin/env bash
# RSSHub's npm package, a pinned master build, so that internal/catalog's
# TestRealPackage reads the real route catalog (AGPL-licensed data: it is
# cached outside the repository and never committed). Idempotent; offline
# safe: when npm or the registry cannot be reached the test skips.
set -u
ver=1.0.0-master.f99e982
dir="${XDG_CACHE_HOME:-$HOME/.cache}/feedmill-ci/rsshub-$ver"
if ls "$dir"/package/dist-lib/routes-*.mjs >/dev/null 2>&1; then
	echo "rsshub $ver: cached in $dir"
	exit 0
fi
if ! command -v npm >/dev/null; then
	echo "rsshub $ver: no npm; TestRealPackage will skip"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! (cd "$tmp" && timeout 180 npm pack --silent "rsshub@$ver" >/dev/null 2>&1); then
	echo "rsshub $ver: npm pack failed (offline?); TestRealPackage will skip"
	exit 0
fi
tar xzf "$tmp"/rsshub-*.tgz -C "$tmp" --wildcards 'package/dist-lib/routes-*' &&
	mkdir -p "$dir/package" &&
	cp -r "$tmp/package/dist-lib" "$dir/package/" &&
	echo "rsshub $ver: $(ls "$dir"/package/dist-lib/routes-*.mjs | wc -l) routes modules in $dir"
