#!/usr/bin/env bash
# Builds the feedmill image without pulling any image: a static binary
# (CGO_ENABLED=0, the time zone database embedded with -tags timetzdata)
# and the host's CA certificates go into dist/, which the Dockerfile
# copies onto an empty (scratch) image.
#
# Usage: docker/build.sh [tag]     (default feedmill:latest)
set -euo pipefail
cd "$(dirname "$0")/.."
tag="${1:-feedmill:latest}"
certs="${FEEDMILL_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"
version="$(git describe --tags --always --dirty 2>/dev/null || echo dev)"
rm -rf dist
mkdir -p dist/data
CGO_ENABLED=0 go build -tags timetzdata \
	-ldflags "-s -w -X main.version=$version" -o dist/feedmill ./cmd/feedmill
cp "$certs" dist/ca-certificates.crt
docker build -t "$tag" .
