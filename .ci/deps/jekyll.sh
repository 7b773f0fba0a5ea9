#!/usr/bin/env bash
# Installs Debian's jekyll (4.3), which internal/jekylltest builds the
# example site with. Safe to run again: it does nothing when jekyll is
# there.
set -euo pipefail
if command -v jekyll >/dev/null; then
	echo "jekyll.sh: $(jekyll --version) already installed"
	exit 0
fi
export DEBIAN_FRONTEND=noninteractive
sudo_=""
[ "$(id -u)" -eq 0 ] || sudo_=sudo
$sudo_ apt-get update -qq
$sudo_ apt-get install -y -qq --no-install-recommends jekyll >/dev/null
echo "jekyll.sh: installed $(jekyll --version)"
