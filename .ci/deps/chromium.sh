#!/usr/bin/env bash
# Installs headless Chromium and a CJK font for the browser tests
# (internal/content's script-execution test drives it with chromedp).
# Idempotent: does nothing when both are already there.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || need+=(fonts-wqy-microhei)
if [ ${#need[@]} -eq 0 ]; then
	echo "chromium and fonts-wqy-microhei already installed"
	exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
/usr/bin/chromium --version 2>/dev/null || true
