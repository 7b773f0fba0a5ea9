#!/usr/bin/env bash
# Builds the container image (docker/build.sh: a static binary on scratch,
# no image pulled) and checks it: `feedmill version` runs, and a served
# feedmill answers its HEALTHCHECK and GET /healthz. Starts Debian's
# dockerd when no daemon answers and it can; skips, saying why, when no
# daemon can be had. Takes under a minute once the Go build is cached.
set -euo pipefail
cd "$(dirname "$0")/.."

skip() { echo "image.sh: skipped: $*"; exit 0; }

if ! docker info >/dev/null 2>&1; then
	if ! command -v dockerd >/dev/null; then
		if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
			echo "image.sh: installing Debian's docker.io"
			export DEBIAN_FRONTEND=noninteractive
			apt-get update -qq && apt-get install -y -qq --no-install-recommends docker.io >/dev/null ||
				skip "docker.io could not be installed"
		else
			skip "no docker daemon and no dockerd to start"
		fi
	fi
	[ "$(id -u)" -eq 0 ] || skip "no docker daemon, and starting dockerd needs root"
	echo "image.sh: starting dockerd"
	(dockerd >/tmp/feedmill-dockerd.log 2>&1 &)
	for _ in $(seq 1 30); do
		docker info >/dev/null 2>&1 && break
		sleep 1
	done
	docker info >/dev/null 2>&1 || { tail -5 /tmp/feedmill-dockerd.log; skip "dockerd did not start (see /tmp/feedmill-dockerd.log)"; }
fi

tag=feedmill:ci
docker/build.sh "$tag"

echo "image.sh: docker run $tag version"
docker run --rm "$tag" version

# A served feedmill on one local feed-less source: the health check needs
# the server, not the network.
data="$(mktemp -d)"
name="feedmill-ci-$$"
cleanup() { docker rm -f "$name" >/dev/null 2>&1 || true; rm -rf "$data"; rm -rf dist; }
trap cleanup EXIT
cat >"$data/feedmill.yaml" <<'YAML'
interval: 24h
sources:
  - {group: 示例, source: 本地, channel: 头条, url: "http://127.0.0.1:9/feed.xml"}
YAML
chmod -R a+rwX "$data"
docker run -d --name "$name" -v "$data:/data" "$tag" >/dev/null
for _ in $(seq 1 30); do
	if docker exec "$name" /feedmill healthcheck >/dev/null 2>&1; then
		break
	fi
	sleep 1
done
echo "image.sh: feedmill healthcheck in the container"
docker exec "$name" /feedmill healthcheck || { docker logs "$name"; exit 1; }
echo "image.sh: GET /healthz from the host"
ip="$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$name")"
if [ -n "$ip" ]; then
	/usr/bin/env curl -fsS "http://$ip:8080/healthz" 2>/dev/null || go run ./cmd/feedmill healthcheck --url "http://$ip:8080/healthz"
	echo
fi
for _ in $(seq 1 60); do
	status="$(docker inspect -f '{{.State.Health.Status}}' "$name")"
	[ "$status" = healthy ] && break
	[ "$status" = unhealthy ] && { docker logs "$name"; echo "image.sh: HEALTHCHECK says unhealthy" >&2; exit 1; }
	sleep 1
done
echo "image.sh: HEALTHCHECK status $status"
docker exec "$name" /feedmill version
echo "image.sh: ok"
