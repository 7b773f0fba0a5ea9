#!/usr/bin/env bash
# Installs Debian's hugo, which internal/hugotest builds the example site
# with. Safe to run again: it does nothing when hugo is there.
set -euo pipefail
if command -v hugo >/dev/null; then
	echo "hugo.sh: $(hugo version | cut -d' ' -f1-2) already installed"
	exit 0
fi
export DEBIAN_FRONTEND=noninteractive
sudo_=""
[ "$(id -u)" -eq 0 ] || sudo_=sudo
$sudo_ apt-get update -qq
$sudo_ apt-get install -y -qq --no-install-recommends hugo >/dev/null
echo "hugo.sh: installed $(hugo version | cut -d' ' -f1-2)"
