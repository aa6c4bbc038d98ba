#!/usr/bin/env bash
# bench/run.sh: kedge's speed and memory, side by side with what a user would
# run instead, in one run on one machine. Results go to stdout as a Markdown
# table (docs/benchmarks.md quotes them).
#
#   validate of a generated repository of N services (wall, peak RSS)
#   against a private single-node swarm (tests/env/docker.sh), for each N:
#     first apply                 vs  docker stack deploy --resolve-image never
#     no-op kedge diff / apply    vs  docker stack deploy (no-op redeploy)
#     the floor: the five raw Engine API list calls a no-op needs (curl)
#   with Engine API requests per kedge command and peak RSS.
#
# Usage: bench/run.sh [N...]   (default: 100 500 1000; services are
# 20 per stack, replicas: 0, so no containers run)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KEDGE=${KEDGE:-$ROOT/build/kedge}
SIZES=${*:-100 500 1000}
WORK=$(mktemp -d /tmp/kedge-bench.XXXXXX)
cleanup() {
	"$ROOT/tests/env/docker.sh" stop "$WORK/docker" >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM HUP
export KEDGE_STORE=$WORK/state.db

# measure CMD...: one run; prints "wall_s rss_mib" (GNU time). The command's
# stderr is kept in $WORK/cmd.err for requests().
measure() {
	/usr/bin/time -f '%e %M' -o "$WORK/time" "$@" >/dev/null 2>"$WORK/cmd.err" || true
	awk '{printf "%.2f %.1f", $1, $2/1024}' "$WORK/time"
}

requests() { grep -o 'engine api requests=[0-9]*' "$WORK/cmd.err" | tail -1 | cut -d= -f2; }

mkdir -p "$WORK/docker"
eval "$("$ROOT/tests/env/docker.sh" start "$WORK/docker")"
export DOCKER_HOST
sock=${DOCKER_HOST#unix://}

echo "| services | command | wall (s) | peak RSS (MiB) | Engine API requests |"
echo "|---:|---|---:|---:|---:|"
for n in $SIZES; do
	stacks=$(( (n + 19) / 20 ))
	repo=$WORK/repo-$n
	mkdir -p "$repo"
	python3 "$ROOT/bench/gen.py" "$repo" "$stacks" 20
	git -C "$repo" init -q -b main
	git -C "$repo" -c user.name=b -c user.email=b@localhost add -A
	git -C "$repo" -c user.name=b -c user.email=b@localhost commit -qm bench

	row() { echo "| $n | $1 | $2 | $3 | ${4:-} |"; }
	read -r w m <<<"$(measure "$KEDGE" validate --repo "$repo")"
	row "kedge validate" "$w" "$m"

	# docker stack deploy of the same stacks, into its own namespaces
	sd() {
		for d in "$repo"/stacks/*; do
			(cd "$d" && docker stack deploy --resolve-image never -c compose.yml "sd$(basename "$d")") || return 1
		done
	}
	read -r w m <<<"$(measure bash -c "$(declare -f sd); repo=$repo; sd")"
	row "docker stack deploy (first)" "$w" "$m"
	read -r w m <<<"$(measure bash -c "$(declare -f sd); repo=$repo; sd")"
	row "docker stack deploy (no-op)" "$w" "$m"
	# Each tool runs against a swarm holding only its own services.
	for d in "$repo"/stacks/*; do docker stack rm "sd$(basename "$d")" >/dev/null; done
	for _ in $(seq 1 120); do
		[ -z "$(docker service ls -q)" ] && [ -z "$(docker network ls -q --filter label=com.docker.stack.namespace)" ] && break
		sleep 1
	done

	export KEDGE_LOG_LEVEL=info
	read -r w m <<<"$(measure "$KEDGE" apply --repo "$repo" --yes --detach)"
	row "kedge apply (first)" "$w" "$m" "$(requests)"
	read -r w m <<<"$(measure "$KEDGE" diff --repo "$repo")"
	row "kedge diff (no-op)" "$w" "$m" "$(requests)"
	read -r w m <<<"$(measure "$KEDGE" apply --repo "$repo" --yes)"
	row "kedge apply (no-op)" "$w" "$m" "$(requests)"
	unset KEDGE_LOG_LEVEL
	floor() {
		for p in services networks configs secrets nodes; do
			curl -sf --unix-socket "$sock" "http://localhost/v1.41/$p" >/dev/null || return 1
		done
	}
	read -r w m <<<"$(measure bash -c "$(declare -f floor); sock=$sock; floor")"
	row "floor: 5 raw list calls (curl)" "$w" "$m" 5

	# leave the swarm empty for the next size
	docker service ls -q | xargs -r docker service rm >/dev/null
	sleep 2
	docker network ls -q --filter driver=overlay | xargs -r docker network rm >/dev/null 2>&1 || true
done
