#!/usr/bin/env bash
# Installs the pinned Hexo tree of testdata/hexo (package.json +
# package-lock.json) into FEEDMILL_HEXO_DIR (default /tmp/feedmill-hexo),
# where internal/hexotest and bench/hexo find it. Safe to run again: it
# reinstalls only when the lock file changed or the tree is incomplete.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir="${FEEDMILL_HEXO_DIR:-/tmp/feedmill-hexo}"
src=testdata/hexo

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	echo "hexo.sh: node and npm are needed; installing Debian's nodejs and npm"
	export DEBIAN_FRONTEND=noninteractive
	sudo_=""
	[ "$(id -u)" -eq 0 ] || sudo_=sudo
	$sudo_ apt-get update -qq
	$sudo_ apt-get install -y -qq nodejs npm >/dev/null
fi

# Hexo 8 needs Node 20.19 or newer.
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a==20&&b>=19)?0:1)'; then
	echo "hexo.sh: Hexo 8 needs Node >= 20.19, found $(node --version)" >&2
	exit 1
fi

mkdir -p "$dir"
stamp="$dir/.feedmill-lock"
if [ -x "$dir/node_modules/.bin/hexo" ] && [ -f "$stamp" ] && cmp -s "$stamp" "$src/package-lock.json"; then
	echo "hexo.sh: Hexo $(node -p 'require(process.argv[1]).version' "$dir/node_modules/hexo/package.json") already in $dir"
	exit 0
fi
cp "$src/package.json" "$src/package-lock.json" "$dir/"
rm -f "$stamp"
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
cp "$src/package-lock.json" "$stamp"
echo "hexo.sh: installed Hexo $(node -p 'require(process.argv[1]).version' "$dir/node_modules/hexo/package.json") in $dir"
