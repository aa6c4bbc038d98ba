#!/usr/bin/env bash
# bench/daemon.sh: kedge run's numbers, side by side with what a user
# would run instead, in one run on one machine, against a private
# single-node swarm (tests/env/docker.sh) and a bare git remote:
#
#   push -> service spec changed, through a signed webhook (ms, median of
#     RUNS)                         vs  docker stack deploy of the same change
#   manual docker service scale -> repaired (ms, median of RUNS)
#   a no-op reconcile of N services (the daemon's own duration metric, mean)
#                                   vs  the five raw list calls (bench/lists.sh)
#   RSS: idle with examples/quickstart; with N services after the first
#     reconcile and after CYCLES no-op cycles
#
# Usage: bench/daemon.sh [N] (default 1000; RUNS=5, CYCLES=200)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KEDGE=${KEDGE:-$ROOT/build/kedge}
N=${1:-1000}
RUNS=${RUNS:-5}
CYCLES=${CYCLES:-200}
WORK=$(mktemp -d /tmp/kedge-bench-daemon.XXXXXX)
DPID=""
cleanup() {
	[ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	"$ROOT/tests/env/docker.sh" stop "$WORK/docker" >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM HUP
export GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@localhost
export GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@localhost
mkdir -p "$WORK/docker"
eval "$("$ROOT/tests/env/docker.sh" start "$WORK/docker")"
export DOCKER_HOST
printf 'bench-secret\n' >"$WORK/secret"
printf 'bench-token\n' >"$WORK/token"
export KEDGE_API_TOKEN_FILE=$WORK/token

now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
rss_mib() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
replicas() { docker service inspect "$1" --format '{{.Spec.Mode.Replicated.Replicas}}' 2>/dev/null; }

# start REPO: kedge run on REPO's bare remote; sets DPID, KEDGE_SERVER.
start() {
	local log=$WORK/daemon.log port
	: >"$log"
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	"$KEDGE" run --repo "$1.git" --ref main --listen "127.0.0.1:$port" \
		--state-dir "$WORK/state-$(basename "$1")" --interval 1h \
		--webhook-secret-file "$WORK/secret" --api-token-file "$WORK/token" \
		--log-level warn --drift-debounce 200ms 2>>"$log" &
	DPID=$!
	export KEDGE_SERVER=http://127.0.0.1:$port
	for _ in $(seq 1200); do
		curl -sf "$KEDGE_SERVER/readyz" >/dev/null && return 0
		sleep 0.5
	done
	echo "kedge run did not become ready" >&2
	cat "$log" >&2
	exit 1
}

stop() {
	kill -TERM "$DPID"
	wait "$DPID" || true
	DPID=""
}

make_repo() {
	git -C "$1" init -q -b main
	git -C "$1" add -A
	git -C "$1" commit -qm bench
	git init -q --bare -b main "$1.git"
	git -C "$1" push -q "$1.git" main
}

# --- push -> applied, and drift -> repaired, on one small stack -----------
Q=$WORK/quick
mkdir -p "$Q/stacks/web"
cat >"$Q/stacks/web/compose.yml" <<'YML'
services:
  web:
    image: busybox:latest
    command: ["sleep", "3600"]
    deploy:
      replicas: 1
YML
make_repo "$Q"
start "$Q"
idle_rss=$(rss_mib "$DPID")
push_ms=() deploy_ms=() heal_ms=()
for i in $(seq "$RUNS"); do
	want=$((i % 3 + 2))
	sed -i "s/replicas: .*/replicas: $want/" "$Q/stacks/web/compose.yml"
	git -C "$Q" commit -qam "r$want"
	git -C "$Q" push -q "$Q.git" main
	body=$(printf '{"ref":"refs/heads/main","after":"%s"}' "$(git -C "$Q" rev-parse HEAD)")
	sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac bench-secret -r | cut -d' ' -f1)
	t0=$(now_ms)
	curl -s -o /dev/null -X POST -H "X-GitHub-Event: push" \
		-H "X-Hub-Signature-256: sha256=$sig" --data-binary "$body" \
		"$KEDGE_SERVER/hooks/github"
	while [ "$(replicas web_web)" != "$want" ]; do sleep 0.02; done
	push_ms+=($(($(now_ms) - t0)))
	"$KEDGE" reconcile --wait >/dev/null 2>&1 || true
	# drift: scale by hand (not within the 3 s after kedge's own write of
	# the service, which is deferred to its end), wait until it is back
	sleep 4
	t0=$(now_ms)
	docker service scale -d web_web=7 >/dev/null
	while [ "$(replicas web_web)" = 7 ] || [ "$(replicas web_web)" != "$want" ]; do sleep 0.02; done
	heal_ms+=($(($(now_ms) - t0)))
	sleep 1
done
stop
# the same change made by hand with the docker CLI, for comparison
docker stack rm web >/dev/null
for _ in $(seq 60); do
	[ -z "$(docker network ls -q --filter name=web_default)" ] && break
	sleep 0.5
done
for i in $(seq "$RUNS"); do
	want=$((i % 3 + 2))
	sed -i "s/replicas: .*/replicas: $want/" "$Q/stacks/web/compose.yml"
	t0=$(now_ms)
	docker stack deploy --resolve-image never -c "$Q/stacks/web/compose.yml" web >/dev/null
	deploy_ms+=($(($(now_ms) - t0)))
done
docker stack rm web >/dev/null

# --- N services: a no-op cycle, and memory over CYCLES cycles -------------
B=$WORK/big
mkdir -p "$B"
python3 "$ROOT/bench/gen.py" "$B" $(((N + 19) / 20)) 20
make_repo "$B"
start "$B"
rss_first=$(rss_mib "$DPID")
# the daemon's own measure of a cycle: kedge_reconcile_duration_seconds
hist() { curl -s "$KEDGE_SERVER/metrics" | awk -v k="kedge_reconcile_duration_seconds_$1" '$1 == k {print $2}'; }
"$KEDGE" reconcile --wait >/dev/null 2>&1 || true
sum0=$(hist sum) count0=$(hist count)
for i in $(seq "$CYCLES"); do
	"$KEDGE" reconcile --wait >/dev/null 2>&1 || true
done
sum1=$(hist sum) count1=$(hist count)
noop_mean=$(awk -v a="$sum0" -v b="$sum1" -v c="$count0" -v d="$count1" 'BEGIN {printf "%.0f", (b - a) / (d - c) * 1000}')
rss_after=$(rss_mib "$DPID")
stop
# the floor: the five list calls' own transfer times (curl's time_total,
# so process start-up is not counted against the raw calls)
floor_ms=()
sock=${DOCKER_HOST#unix://}
for i in $(seq 10); do
	t=0
	for k in 'services?status=true' networks configs secrets nodes; do
		t=$(awk -v a="$t" -v b="$(curl -s -o /dev/null -w '%{time_total}' --unix-socket "$sock" "http://x/v1.41/$k")" 'BEGIN {print a + b}')
	done
	floor_ms+=($(awk -v t="$t" 'BEGIN {printf "%.0f", t * 1000}'))
done

m() { printf '%s\n' "$@" | median; }
echo "| measurement | kedge run | instead | |"
echo "|---|---:|---:|---|"
echo "| push -> spec changed (webhook), ms, median of $RUNS | $(m "${push_ms[@]}") | $(m "${deploy_ms[@]}") | docker stack deploy of the same change; Argo CD / Flux poll every 1-3 min, SwarmCD every 2 |"
echo "| manual scale -> repaired, ms, median of $RUNS | $(m "${heal_ms[@]}") | 5000 | Argo CD self-heal waits 5 s |"
echo "| no-op reconcile of $N services, ms, mean of $CYCLES (kedge_reconcile_duration_seconds) | $noop_mean | $(m "${floor_ms[@]}") | the 5 raw list calls, their curl time_total summed, median of 10 |"
echo "| idle RSS, one small stack, MiB | $idle_rss | | |"
echo "| RSS with $N services after the first reconcile, MiB | $rss_first | | |"
echo "| RSS with $N services after $CYCLES no-op cycles, MiB | $rss_after | | |"
