# needs: prometheus
#
# kedge mcp's analyze_metrics against a real Prometheus 2.42 that this
# file starts itself (tests/env/prometheus.sh) and points at its own
# /metrics, so up and prometheus_build_info have data: an instant query,
# a range query whose summaries match its values, Prometheus' own message
# for bad PromQL, no --prometheus-url, a range over Prometheus' limit of
# points, more series than are returned, more values than are returned.
# And, with no Docker daemon to talk to (DOCKER_HOST points at a socket
# that does not exist): list_backups, set_backup_schedule's YAML edits
# (comments kept, one member removed, a new backup added, an unknown name
# refused with the names there are) and execute_health_check reporting
# what it could not check. All through the official SDK client
# (tests/mcp/client.mjs).

. "$(dirname "$KEDGE_IT_LIB")/../env/gitlib.sh"

HERE=$(dirname "$KEDGE_IT_LIB")
CLIENT=$HERE/../mcp/client.mjs
TP_ENV=$HERE/../env/prometheus.sh
TP_DIR=$PWD/prom
W=$PWD/work-repo
BARE=$(git_make_bare mcp-prom-remote)
STATE=$PWD/state
# no swarm here: every Engine call fails fast, as on a host without one
export DOCKER_HOST=unix://$PWD/no-docker.sock

trap '"$TP_ENV" stop "$TP_DIR" >/dev/null 2>&1; lib_on_exit' EXIT

if ! [ -d "$HERE/../mcp/node_modules/@modelcontextprotocol/sdk" ]; then
	case_begin "the MCP test client is installed"
	fail "tests/mcp/node_modules is missing: run make mcp-deps"
	return
fi

# A Prometheus of our own that scrapes itself every second (the harness's
# scrapes nothing, and other tests share it).
case_begin "a Prometheus that scrapes itself has data for up"
mkdir -p "$TP_DIR"
out=$("$TP_ENV" start "$TP_DIR") || fail "cannot start Prometheus: $(tail -5 "$TP_DIR/prometheus.log")"
PROM=$(echo "$out" | sed -n 's/^export KEDGE_TEST_PROM_URL=//p')
cat >>"$TP_DIR/prometheus.yml" <<EOF
  - job_name: self
    scrape_interval: 1s
    static_configs:
      - targets: ["${PROM#http://}"]
EOF
sed -i 's/^scrape_configs: \[\]$/scrape_configs:/' "$TP_DIR/prometheus.yml"
curl -fsS --max-time 30 -X POST "$PROM/-/reload" || fail "POST /-/reload failed"
# two range steps of 15 s need 16 s of samples
wait_for 90 sh -c \
	"curl -fsS --max-time 5 '$PROM/api/v1/query?query=count_over_time(up%5B1m%5D)%3E%3D17' | grep -q '\"value\"'" ||
	fail "Prometheus has no 16 s of samples of up after 90 s"

git_make_repo "$W"
cp -a "$HERE/../../examples/quickstart/." "$W/"
git_commit_all "$W" "the quickstart" && git -C "$W" push -q "$BARE" main:main ||
	fail "cannot seed the remote"

# mcp STEPS [KEDGE-MCP-ARGS...]: one client session; lines in MCP_OUT.
mcp() {
	local steps=$1
	shift
	: >"$PWD/mcp.err"
	MCP_OUT=$(printf '%s' "$steps" | timeout -k 5 120 node "$CLIENT" \
		--timeout 60000 --stdio -- \
		"$KEDGE" mcp --repo "$BARE" --ref main --state-dir "$STATE" \
		--author 'Ann Operator <ann@example.com>' "$@" 2>>"$PWD/mcp.err")
	MCP_RC=$?
	echo "+ mcp $* -> rc=$MCP_RC"
	lib_show stdout "$(printf '%s' "$MCP_OUT" | cut -c1-3000)"
	lib_show stderr "$(tail -n 40 "$PWD/mcp.err")"
	assert_eq "$MCP_RC" 0 "client exit status"
	if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$PWD/mcp.err"; then
		fail "kedge mcp: sanitizer report on stderr"
	fi
}

# check PYTHON-EXPR: with L (the output lines), R(i), S(i) (structured
# content), T(i) (text) and E(i) (isError) of step i, 1-based. The lines
# go through a file: a big result is over the limit of one variable of
# the environment.
CHECK_PY='
import json, os, sys, math
L = [json.loads(l) for l in open(os.environ["MCP_OUT_FILE"]) if l.strip()]
def R(i): return L[i]["result"]
def S(i): return L[i]["result"]["structuredContent"]
def T(i): return L[i]["result"]["content"][0]["text"]
def E(i): return L[i]["result"].get("isError", False)
def summary_ok(s):
    v = [p[1] for p in s["values"] if isinstance(p[1], (int, float))]
    m = s["summary"]
    return (m["count"] == len(s["values"]) and m["last"] == s["values"][-1][1]
            and m["min"] == min(v) and m["max"] == max(v)
            and math.isclose(m["mean"], sum(v) / len(v)))
if not eval(sys.argv[1]):
    sys.exit(1)
'
check() {
	printf '%s\n' "$MCP_OUT" >"$PWD/mcp.out"
	MCP_OUT_FILE=$PWD/mcp.out python3 -c "$CHECK_PY" "$1" >"$PWD/check.out" 2>&1 || {
		fail "check failed: $1"
		cat "$PWD/check.out"
	}
}
call() { printf '{"op":"callTool","name":"%s","arguments":%s}' "$1" "$2"; }
rev() { git --git-dir="$BARE" rev-parse "${1:-main}"; }

case_begin "the new tools are listed with their annotations and schemas"
mcp '[{"op":"listTools"}]' --prometheus-url "$PROM"
check 'set(["analyze_metrics", "list_backups", "set_backup_schedule", "execute_health_check"]) <= set(t["name"] for t in R(1)["tools"])'
check '[t for t in R(1)["tools"] if t["name"] == "analyze_metrics"][0]["annotations"]["openWorldHint"] is True'
check 'all([t for t in R(1)["tools"] if t["name"] == n][0]["annotations"]["readOnlyHint"] for n in ["analyze_metrics", "list_backups", "execute_health_check"])'
check 'not [t for t in R(1)["tools"] if t["name"] == "set_backup_schedule"][0]["annotations"].get("readOnlyHint")'
check 'all("outputSchema" in t for t in R(1)["tools"])'

case_begin "analyze_metrics: an instant query of up"
mcp "[$(call analyze_metrics '{"query":"up"}'),$(call analyze_metrics '{"query":"prometheus_build_info","time":"now"}'),$(call analyze_metrics '{"query":"1 + 1"}')]" --prometheus-url "$PROM"
check 'not E(1) and S(1)["resultType"] == "vector" and len(S(1)["series"]) == 1'
check 'S(1)["series"][0]["metric"]["job"] == "self" and S(1)["series"][0]["summary"]["last"] == 1 and S(1)["series"][0]["summary"]["count"] == 1'
check 'S(1)["series_cut"] == 0 and S(1)["notes"] == [] and len(S(1)["series"][0]["values"]) == 1'
check 'not E(2) and S(2)["series"][0]["metric"]["version"].startswith("2.")'
check 'not E(3) and S(3)["resultType"] == "scalar" and S(3)["series"][0]["summary"]["last"] == 2'

case_begin "analyze_metrics: a range query over the last 5m at 15s, summaries matching the values"
mcp "[$(call analyze_metrics '{"query":"up","start":"5m","step":"15s"}'),$(call analyze_metrics '{"query":"prometheus_http_requests_total","start":"5m","end":"now","step":15}')]" --prometheus-url "$PROM"
check 'not E(1) and S(1)["resultType"] == "matrix" and S(1)["range"]["step"] == 15'
check 'math.isclose(S(1)["range"]["end"] - S(1)["range"]["start"], 300)'
check 'len(S(1)["series"]) == 1 and len(S(1)["series"][0]["values"]) >= 2 and summary_ok(S(1)["series"][0])'
check 'all(b[0] - a[0] == 15 for a, b in zip(S(1)["series"][0]["values"], S(1)["series"][0]["values"][1:]))'
check 'not E(2) and len(S(2)["series"]) >= 1 and all(summary_ok(s) for s in S(2)["series"])'

case_begin "analyze_metrics: bad PromQL is Prometheus' own message"
mcp "[$(call analyze_metrics '{"query":"up{"}'),$(call analyze_metrics '{"query":"rate(up)"}'),$(call analyze_metrics '{"query":"up","start":"yesterday"}'),$(call analyze_metrics '{"query":"up","step":"15s"}')]" --prometheus-url "$PROM"
check 'E(1) and "bad_data" in T(1) and "parse error" in T(1)'
check 'E(2) and "bad_data" in T(2) and "range vector" in T(2)'
check 'E(3) and "not a time" in T(3) and "yesterday" in T(3)'
check 'E(4) and "need start" in T(4)'

case_begin "analyze_metrics: without --prometheus-url it says how to configure one"
mcp "[$(call analyze_metrics '{"query":"up"}')]"
check 'E(1) and T(1) == "no Prometheus configured: run kedge mcp with --prometheus-url"'

case_begin "analyze_metrics: too many points, series or values are refused or cut, with a note"
mcp "[$(call analyze_metrics '{"query":"up","start":"4h","step":"1s"}'),$(call analyze_metrics '{"query":"{__name__=~\".+\"}"}'),$(call analyze_metrics '{"query":"{__name__=~\".+\"}","start":"1m","step":"100ms"}')]" --prometheus-url "$PROM"
check 'E(1) and "14401 points per series" in T(1) and "11000" in T(1) and "step of at least 2 s" in T(1)'
check 'not E(2) and len(S(2)["series"]) == 100 and S(2)["series_total"] > 100 and S(2)["series_cut"] == S(2)["series_total"] - 100'
check '"only the first 100 are returned" in S(2)["notes"][0]'
check 'not E(3) and len(S(3)["series"]) == 100 and all(len(s["values"]) <= 100 for s in S(3)["series"])'
check 'sum(len(s["values"]) for s in S(3)["series"]) <= 10000 and any(s.get("values_cut", 0) > 0 for s in S(3)["series"])'
check 'any(s["summary"]["count"] > len(s["values"]) for s in S(3)["series"]) and any("older values were left out" in n for n in S(3)["notes"])'
check 'len(json.dumps(L[3])) < 4000000'

case_begin "list_backups: the schedules at the head, with no runs recorded"
mcp "[$(call list_backups '{}')]"
check 'not E(1) and S(1)["revision"] == "'"$(rev)"'" and S(1)["runs_recorded"] is False'
check '[b["name"] for b in S(1)["backups"]] == ["db-nightly"]'
check 'S(1)["backups"][0]["file"] == "backups/postgres.yml"'
check 'S(1)["backups"][0]["schedule"] == "30 2 * * *" and S(1)["backups"][0]["timezone"] == "Europe/Berlin"'
check 'S(1)["backups"][0]["target"]["kind"] == "postgres" and S(1)["backups"][0]["retention"]["keep_last"] == 7'
check 'S(1)["backups"][0]["runs"] == [] and S(1)["backups"][0]["suspend"] is False and S(1)["backups"][0]["max_age"] == "26h"'

case_begin "set_backup_schedule: a new schedule and time zone, comments kept"
before=$(rev)
mcp "[$(call set_backup_schedule '{"name":"db-nightly","schedule":"0 3 * * *","timezone":"UTC","reason":"run after the ETL"}')]" --commit-to tracked
check 'not E(1) and S(1)["files"] == ["backups/postgres.yml"] and S(1)["base"] == "'"$before"'"'
check '"-    schedule: \"30 2 * * *\"" in S(1)["diff"] and "+    schedule: \"0 3 * * *\"" in S(1)["diff"]'
check '"+    timezone: UTC" in S(1)["diff"]'
check '"error" in S(1)["plan"]  # no swarm here: the plan says why'
assert_eq "$(git --git-dir="$BARE" diff --numstat "$before" main | tr '\t' ' ')" "2 2 backups/postgres.yml" "a two-line diff"
git --git-dir="$BARE" show main:backups/postgres.yml >"$PWD/after.yml"
assert_file_contains "$PWD/after.yml" "# A nightly pg_dump of the app database"
assert_file_contains "$PWD/after.yml" "# where the database runs"
git --git-dir="$BARE" show -s --format=%B main >"$PWD/msg"
assert_file_contains "$PWD/msg" "run after the ETL"
assert_file_contains "$PWD/msg" "Kedge-Tool: set_backup_schedule"

case_begin "set_backup_schedule: null removes a member, suspend is set, list_backups sees it"
before=$(rev)
mcp "[$(call set_backup_schedule '{"name":"db-nightly","jitter":null,"suspend":true,"reason":"pause it"}'),$(call list_backups '{}')]" --commit-to tracked
check 'not E(1) and "-    jitter: 5m" in S(1)["diff"] and "+    suspend: true" in S(1)["diff"]'
check 'not E(2) and S(2)["backups"][0]["suspend"] is True and S(2)["backups"][0]["jitter"] is None'
git --git-dir="$BARE" show main:backups/postgres.yml >"$PWD/after.yml"
grep -q 'jitter' "$PWD/after.yml" && fail "jitter is still in the file"

case_begin "set_backup_schedule: an unknown name lists the names there are; nothing is pushed"
before=$(rev)
mcp "[$(call set_backup_schedule '{"name":"db-hourly","schedule":"@hourly","reason":"r"}'),$(call set_backup_schedule '{"name":"db-nightly","reason":"r"}'),$(call set_backup_schedule '{"name":"db-nightly","schedule":"@daily","file":"backups/other.yml","reason":"r"}'),$(call set_backup_schedule '{"name":"db-nightly","schedule":"not cron","reason":"r"}')]" --commit-to tracked
check 'E(1) and "no backup '"'"'db-hourly'"'"'" in T(1) and "there are: db-nightly" in T(1) and "file and target" in T(1)'
check 'E(2) and "nothing to change" in T(2)'
check 'E(3) and "is in backups/postgres.yml, not backups/other.yml" in T(3)'
check 'E(4) and "backups/postgres.yml" in T(4)'
assert_eq "$(rev)" "$before" "main after refused edits"

case_begin "set_backup_schedule: a new backup in a new file with file and target"
before=$(rev)
mcp "[$(call set_backup_schedule '{"name":"web-volume","file":"backups/web.yml","schedule":"@daily","timezone":"UTC","target":{"kind":"volume","service":"web","volume":"site"},"job":{"image":"alpine:3.19"},"destination":{"type":"volume","path":"/backups"},"reason":"back the site up"}'),$(call list_backups '{}')]" --commit-to tracked
check 'not E(1) and S(1)["files"] == ["backups/web.yml"] and "+  - name: web-volume" in S(1)["diff"]'
check 'not E(2) and sorted(b["name"] for b in S(2)["backups"]) == ["db-nightly", "web-volume"]'
check '[b for b in S(2)["backups"] if b["name"] == "web-volume"][0]["file"] == "backups/web.yml"'
[ "$(rev main~1)" = "$before" ] || fail "the new backup is not one commit on main"

case_begin "execute_health_check: without a swarm it says what it could not check"
mcp "[$(call execute_health_check '{}')]"
check 'not E(1) and S(1)["healthy"] is False'
check '[c["name"] for c in S(1)["checks"]] == ["services_converged", "nodes_ready", "last_reconcile", "in_sync", "backups_fresh"]'
check 'all(c["ok"] is None and c["detail"] for c in S(1)["checks"])'
check '"not checked" in S(1)["checks"][0]["detail"] and "no reconcile is recorded" in S(1)["checks"][2]["detail"]'
check '"2 backup schedules (1 suspended)" in S(1)["checks"][4]["detail"]'

case_begin "the health prompt starts from execute_health_check"
mcp '[{"op":"getPrompt","name":"health","arguments":{}}]'
check '"execute_health_check" in R(1)["messages"][0]["content"]["text"]'
