# needs: docker
#
# kedge run with the Prometheus part: the rules of each pushed commit are
# applied after the swarm in the same loop, a hand-edited rule file is
# drift and is repaired at the next check, a Prometheus that does not
# answer fails only its part (the stack still applies) with status Stalled,
# and it is Ready again once Prometheus answers. Real Prometheus 2.42,
# started by this file; a real bare git remote; a real swarm.

. "$(dirname "$KEDGE_IT_LIB")/../env/gitlib.sh"

HERE=$(dirname "$KEDGE_IT_LIB")
PROM_ENV=$HERE/../env/prometheus.sh
AM_ENV=$HERE/../env/alertmanager.sh
PD=$PWD/prom
AD=$PWD/am
W=$PWD/work-repo
BARE=$(git_make_bare runprom-remote)
TOKEN=$PWD/api-token
printf 'tok-%s%s\n' "$RANDOM" "$RANDOM" >"$TOKEN"
chmod 600 "$TOKEN"
DPID=""

cleanup() {
	[ -n "$DPID" ] && kill -KILL "$DPID" 2>/dev/null
	[ -f "$PD/prometheus.pid" ] && kill -CONT "$(cat "$PD/prometheus.pid")" 2>/dev/null
	"$PROM_ENV" stop "$PD" >/dev/null 2>&1
	"$AM_ENV" stop "$AD" >/dev/null 2>&1
	docker_cli stack rm mon >/dev/null 2>&1
}
trap 'cleanup; lib_on_exit' EXIT

mkdir -p "$PD"
out=$("$PROM_ENV" start "$PD") || fail "cannot start Prometheus: $(tail -5 "$PD/prometheus.log")"
PROM=$(echo "$out" | sed -n 's/^export KEDGE_TEST_PROM_URL=//p')
RD=$PD/rules/kedge
mkdir -p "$AD"
out=$("$AM_ENV" start "$AD") || fail "cannot start Alertmanager"
AM=$(echo "$out" | sed -n 's/^export KEDGE_TEST_AM_URL=//p')
CFG=$(echo "$out" | sed -n 's/^export KEDGE_TEST_AM_CONFIG=//p')
printf 'HOOK=http://127.0.0.1:9/hook-s3cret-%s\n' "$RANDOM$RANDOM" >"$PWD/am.env"
HOOK_SECRET=$(cut -d= -f2- "$PWD/am.env")

git_make_repo "$W"
printf 'instance: t-run-prometheus\n' >"$W/kedge.yml"
mkdir -p "$W/alerts" "$W/stacks/mon" "$W/alertmanager"
cat >"$W/alertmanager/alertmanager.yml" <<'YAML'
route:
  receiver: hook
receivers:
  - name: hook
    webhook_configs:
      - url: ${HOOK}
YAML
cat >"$W/stacks/mon/compose.yml" <<'YML'
services:
  exporter:
    image: nginx:1.25
    command: ["sleep", "3600"]
    deploy:
      replicas: 1
YML
cat >"$W/alerts/node.yml" <<'YAML'
groups:
  - name: node
    rules:
      - alert: DiskFull
        expr: vector(1) > 2
        for: 5m
YAML

push() {
	git_commit_all "$W" "$1" && git -C "$W" push -q --force "$BARE" main:main ||
		fail "push '$1' failed"
}

get() {
	CODE=$(curl -s -o "$PWD/body" -w '%{http_code}' --max-time 10 "$URL$1")
	BODY=$(cat "$PWD/body")
}

idle() {
	get /api/v1/status
	python3 -c 'import json,sys; s=json.load(sys.stdin); sys.exit(0 if not s["reconciling"] and not s["pending"] and s["ready"] else 1)' <<<"$BODY"
}

prom_status() {
	get /api/v1/status
	python3 -c 'import json,sys; print(json.load(sys.stdin)["prometheus"].get("status",""))' <<<"$BODY"
}

loaded() {
	curl -fsS --max-time 5 "$PROM/api/v1/rules" | grep -q "\"name\":\"$1\""
}

replicas() {
	docker_cli service inspect "$1" --format '{{.Spec.Mode.Replicated.Replicas}}' 2>/dev/null
}

push "monitoring"

case_begin "the first reconcile applies the stack, then the rules; status says prometheus Ready"
: >"$PWD/daemon.log"
"$KEDGE" run --repo "$BARE" --ref main --listen 127.0.0.1:0 \
	--state-dir "$PWD/state" --interval 2s --log-level debug \
	--api-token-file "$TOKEN" --prometheus-url "$PROM" \
	--prometheus-rules-dir "$RD" --prometheus-timeout 2s \
	--alertmanager-url "$AM" --alertmanager-config "$CFG" \
	--alertmanager-env-file "$PWD/am.env" 2>>"$PWD/daemon.log" &
DPID=$!
wait_for 20 grep -q ' port=[0-9]' "$PWD/daemon.log" || fail "kedge run did not start: $(cat "$PWD/daemon.log")"
URL=http://127.0.0.1:$(grep -o ' port=[0-9]*' "$PWD/daemon.log" | head -n 1 | cut -d= -f2)
export KEDGE_SERVER=$URL KEDGE_API_TOKEN_FILE=$TOKEN
wait_for 60 idle || fail "the first reconcile did not finish"
assert_eq "$(replicas mon_exporter)" 1 "mon_exporter replicas"
loaded DiskFull || fail "DiskFull is not loaded"
cmp -s "$W/alerts/node.yml" "$RD/node.yml" || fail "node.yml is not the repository's"
assert_eq "$(prom_status)" Ready "the prometheus status"
run_kedge status
assert_rc 0
assert_out_contains "prometheus: Ready, rules of"
get /metrics
[[ "$BODY" == *'kedge_prometheus_status{status="Ready"} 1'* ]] || fail "kedge_prometheus_status missing"
[[ "$BODY" == *'kedge_prometheus_applies_total{result="ok"} 1'* ]] || fail "kedge_prometheus_applies_total missing"

case_begin "the commit's Alertmanager config is loaded, proven by hash, and no secret is logged"
am_hash() { curl -fsS --max-time 10 "$AM/metrics" | awk '$1 == "alertmanager_config_hash" {printf "%.0f\n", $2}'; }
file_hash() {
	python3 -c 'import hashlib,sys
d = hashlib.md5(open(sys.argv[1], "rb").read()).digest()
print(int.from_bytes(d[:6], "little"))' "$1"
}
assert_file_contains "$CFG" "receiver: hook"
assert_eq "$(am_hash)" "$(file_hash "$CFG")" "alertmanager_config_hash"
if grep -qF "$HOOK_SECRET" "$PWD/daemon.log"; then fail "the env file's value reached the log"; fi

case_begin "a pushed rule change is applied in the same loop and recorded in the history"
cat >>"$W/alerts/node.yml" <<'YAML'
      - alert: NodeDown
        expr: up == 0
YAML
push "node down"
run_kedge reconcile --wait
assert_rc 0
wait_for 10 loaded NodeDown || fail "NodeDown is not loaded"
run_kedge history --output json
assert_rc 0
python3 -c '
import json, sys
h = json.load(sys.stdin)
r = [x for x in h["reconciles"] if (x.get("summary") or {}).get("prometheus", {}).get("changes")]
assert r and r[0]["summary"]["prometheus"]["result"] == "ok", h["reconciles"][:3]
' <<<"$OUT" || fail "the history has no reconcile that changed Prometheus"

case_begin "a hand-edited rule file is drift, repaired at the next check and recorded"
wait_for 30 idle
printf '# edited by hand\n' >>"$RD/node.yml"
wait_for 30 cmp -s "$W/alerts/node.yml" "$RD/node.yml" || fail "node.yml was not repaired"
wait_for 30 idle
get /metrics
[[ "$BODY" == *'kedge_drift_events_total{stack="prometheus"}'* ]] || fail "no drift metric for prometheus"
run_kedge history --output json
python3 -c '
import json, sys
h = json.load(sys.stdin)
assert any(e["stack"] == "prometheus" and e["object"] == "node.yml" and e["action"] == "repaired" for e in h["drift"]), h["drift"]
' <<<"$OUT" || fail "the drift of node.yml is not in the history"

case_begin "Prometheus not answering fails only its part: the stack applies, status Stalled, then Ready again"
wait_for 30 idle
kill -STOP "$(cat "$PD/prometheus.pid")"
sed -i 's/replicas: 1/replicas: 2/' "$W/stacks/mon/compose.yml"
sed -i 's/for: 5m/for: 7m/' "$W/alerts/node.yml"
push "scale and for 7m"
run_kedge reconcile --wait
assert_rc 2
assert_eq "$(replicas mon_exporter)" 2 "the swarm part was not applied"
assert_eq "$(prom_status)" Stalled "the prometheus status while it hangs"
run_kedge status
assert_out_contains "prometheus: Stalled"
assert_out_contains "the Prometheus part"
kill -CONT "$(cat "$PD/prometheus.pid")"
prom_ready() { [ "$(prom_status)" = Ready ]; }
wait_for 60 prom_ready || fail "prometheus did not become Ready again"
wait_for 10 cmp -s "$W/alerts/node.yml" "$RD/node.yml" || fail "node.yml did not converge"

case_begin "SIGTERM stops the daemon with exit 0"
kill -TERM "$DPID"
wait "$DPID"
rc=$?
DPID=""
assert_eq "$rc" 0 "kedge run exit status"
assert_no_sanitizer_report "$PWD/daemon.log"
if grep -qF "$HOOK_SECRET" "$PWD/daemon.log"; then fail "the env file's value reached the log"; fi
docker_cli stack rm mon >/dev/null 2>&1
