# needs: docker
# t-prometheus.sh: alert and recording rules as desired state, against real
# Prometheus 2.42 servers that this file starts itself (tests/env/
# prometheus.sh): one with the lifecycle API, one without (reloaded by
# SIGHUP through its pidfile). Every case looks at what a user sees: the
# exit code and output of kedge, the files in the rules folder, and what
# Prometheus has loaded (/api/v1/rules).

HERE=$(dirname "$KEDGE_IT_LIB")
TP_ENV=$HERE/../env/prometheus.sh
TP_A=$PWD/prom-a
TP_B=$PWD/prom-b

tp_cleanup()
{
	"$TP_ENV" stop "$TP_A" >/dev/null 2>&1
	"$TP_ENV" stop "$TP_B" >/dev/null 2>&1
}
trap 'tp_cleanup; lib_on_exit' EXIT

# tp_start DIR: starts (or restarts) the Prometheus of DIR; sets TP_URL.
tp_start()
{
	local out
	mkdir -p "$1"
	out=$("$TP_ENV" start "$1") || {
		fail "cannot start Prometheus in $1: $(tail -5 "$1/prometheus.log" 2>/dev/null)"
		return 1
	}
	TP_URL=$(echo "$out" | sed -n 's/^export KEDGE_TEST_PROM_URL=//p')
}

# tp_groups URL: "file|group|rule,rule" per loaded group, files by base name.
tp_groups()
{
	curl -fsS --max-time 10 "$1/api/v1/rules" | python3 -c '
import json, sys, os
for g in json.load(sys.stdin)["data"]["groups"]:
    print("%s|%s|%s" % (os.path.basename(g["file"]), g["name"],
                        ",".join(r["name"] for r in g["rules"])))'
}

# tp_rule_field URL GROUP RULE FIELD: one field of a loaded rule.
tp_rule_field()
{
	curl -fsS --max-time 10 "$1/api/v1/rules" | python3 -c '
import json, sys
g, r, f = sys.argv[1:4]
for grp in json.load(sys.stdin)["data"]["groups"]:
    if grp["name"] == g:
        for rule in grp["rules"]:
            if rule["name"] == r:
                v = rule.get(f)
                if f == "activeAt":
                    v = rule["alerts"][0]["activeAt"] if rule["alerts"] else ""
                print(v)' "$2" "$3" "$4"
}

W=$PWD/desired
make_desired_repo "$W"
mkdir -p "$W/alerts"
printf 'instance: t-prometheus\n' >"$W/kedge.yml"
cat >"$W/alerts/node.yml" <<'YAML'
# node alerts
groups:
  - name: node
    rules:
      - alert: DiskFull
        expr: vector(1) > 2
        for: 5m
        labels:
          severity: page
        annotations:
          summary: "disk {{ $labels.instance }} is full"
      - record: job:up:sum
        expr: sum by (job) (up)
YAML
cat >"$W/alerts/pending.yml" <<'YAML'
groups:
  - name: always
    rules:
      - alert: AlwaysPending
        expr: vector(1)
        for: 1h
YAML
commit_all "$W" "rules"

case_begin "without --prometheus-url the rules are validated, not applied, and said so once"
run_kedge diff --repo "$W"
assert_rc 0
assert_err_contains "note: the rules in alerts/ are validated but not applied: no --prometheus-url"
[ "$(grep -c 'validated but not applied' <<<"$ERR")" = 1 ] || fail "the note is not said exactly once"

tp_start "$TP_A" || true
RD=$TP_A/rules/kedge
P=(--prometheus-url "$TP_URL" --prometheus-rules-dir "$RD")
# a file kedge did not write, which it must never touch
printf 'groups:\n  - name: foreign\n    rules:\n      - record: foreign:up\n        expr: up\n' >"$RD/foreign.yml"
curl -fsS --max-time 30 -X POST "$TP_URL/-/reload" >/dev/null || fail "reload of the foreign file failed"
foreign_sum=$(sha256sum "$RD/foreign.yml")

case_begin "diff shows the new groups beside the swarm, exit 1"
run_kedge diff --repo "$W" "${P[@]}"
assert_rc 1
assert_out_contains "No changes: the swarm matches"
assert_out_contains "+ group node.yml/node (2 rules)"
assert_out_contains "+ group pending.yml/always (1 rule)"
assert_out_contains "Prometheus: 2 changes."

case_begin "the JSON plan (format 2) has a prometheus section"
run_kedge diff --repo "$W" "${P[@]}" --output json
assert_rc 1
python3 -c '
import json, sys
p = json.loads(sys.argv[1])
assert p["format"] == 2, p["format"]
r = p["prometheus"]["rules"]
assert [c["name"] for c in r["changes"]] == ["node.yml/node", "pending.yml/always"], r
assert {f["name"]: f["action"] for f in r["files"]} == {"node.yml": "write", "pending.yml": "write"}, r["files"]
assert p["prometheus"]["alertmanager"] is None
' "$OUT" || fail "unexpected JSON plan"

case_begin "apply writes the files byte for byte and Prometheus loads them; the diff is then clean"
run_kedge apply --repo "$W" "${P[@]}"
assert_rc 0
assert_out_contains "Applied 2 changes to Prometheus"
cmp -s "$W/alerts/node.yml" "$RD/node.yml" || fail "node.yml is not the repository's bytes"
cmp -s "$W/alerts/pending.yml" "$RD/pending.yml" || fail "pending.yml is not the repository's bytes"
groups=$(tp_groups "$TP_URL")
[[ "$groups" == *"node.yml|node|DiskFull,job:up:sum"* ]] || fail "node group not loaded: $groups"
[[ "$groups" == *"pending.yml|always|AlwaysPending"* ]] || fail "always group not loaded: $groups"
[[ "$groups" == *"foreign.yml|foreign|foreign:up"* ]] || fail "the foreign group is gone: $groups"
assert_file_contains "$RD/.kedge-manifest.json" "$(sha256sum <"$RD/node.yml" | cut -c1-64)"
run_kedge diff --repo "$W" "${P[@]}"
assert_rc 0
assert_out_contains "No changes: Prometheus matches"

case_begin "a changed expression, for and label, a removed record and a new group"
tp_pending() { [ -n "$(tp_rule_field "$TP_URL" always AlwaysPending activeAt)" ]; }
wait_for 30 tp_pending || fail "AlwaysPending never became pending"
active_before=$(tp_rule_field "$TP_URL" always AlwaysPending activeAt)
cat >"$W/alerts/node.yml" <<'YAML'
# node alerts
groups:
  - name: node
    rules:
      - alert: DiskFull
        expr: vector(1) > 3
        for: 10m
        labels:
          severity: ticket
        annotations:
          summary: "disk {{ $labels.instance }} is full"
  - name: extra
    interval: 30s
    rules:
      - alert: Down
        expr: up == 0
YAML
commit_all "$W" "change rules"
run_kedge diff --repo "$W" "${P[@]}"
assert_rc 1
assert_out_contains "~ alert node.yml/node/DiskFull: expr: vector(1) > 2 -> vector(1) > 3"
assert_out_contains "~ alert node.yml/node/DiskFull: for: 5m -> 10m"
assert_out_contains "~ alert node.yml/node/DiskFull: labels.severity: page -> ticket"
assert_out_contains "- record node.yml/node/job:up:sum"
assert_out_contains "+ group node.yml/extra (1 rule)"
assert_out_not_contains "pending.yml"
run_kedge apply --repo "$W" "${P[@]}"
assert_rc 0
assert_eq "$(tp_rule_field "$TP_URL" node DiskFull duration)" 600 "the loaded for: of DiskFull"
groups=$(tp_groups "$TP_URL")
[[ "$groups" == *"node.yml|node|DiskFull"$'\n'* || "$groups" == *"node.yml|node|DiskFull" ]] ||
	fail "job:up:sum is still loaded: $groups"
[[ "$groups" == *"node.yml|extra|Down"* ]] || fail "the extra group is not loaded: $groups"

case_begin "a pending alert keeps its activeAt across an unrelated rule change"
active_after=$(tp_rule_field "$TP_URL" always AlwaysPending activeAt)
assert_eq "$active_after" "$active_before" "activeAt of AlwaysPending"
assert_eq "$(tp_rule_field "$TP_URL" always AlwaysPending state)" pending "state of AlwaysPending"

case_begin "a hand-edited file is drift, and apply restores it"
printf '# edited by hand\n' >>"$RD/node.yml"
run_kedge diff --repo "$W" "${P[@]}"
assert_rc 1
assert_out_contains "~ file node.yml: changed outside kedge"
run_kedge apply --repo "$W" "${P[@]}"
assert_rc 0
cmp -s "$W/alerts/node.yml" "$RD/node.yml" || fail "node.yml was not restored"
run_kedge diff --repo "$W" "${P[@]}"
assert_rc 0

case_begin "a hand-deleted file is drift, and apply restores it"
rm -f "$RD/pending.yml"
curl -fsS --max-time 30 -X POST "$TP_URL/-/reload" >/dev/null
run_kedge diff --repo "$W" "${P[@]}"
assert_rc 1
assert_out_contains "~ file pending.yml: deleted outside kedge"
assert_out_contains "+ group pending.yml/always (1 rule)"
run_kedge apply --repo "$W" "${P[@]}"
assert_rc 0
[[ "$(tp_groups "$TP_URL")" == *"pending.yml|always|AlwaysPending"* ]] || fail "always not loaded again"

case_begin "rules on disk that Prometheus has not loaded are drift (a reload)"
printf 'groups:\n  - name: late\n    rules:\n      - record: late:x\n        expr: vector(1)\n' >"$W/alerts/late.yml"
commit_all "$W" "late"
cp "$W/alerts/late.yml" "$RD/late.yml"
run_kedge diff --repo "$W" "${P[@]}"
assert_rc 1
assert_out_contains "~ file late.yml: taken over"
run_kedge apply --repo "$W" "${P[@]}"
assert_rc 0
[[ "$(tp_groups "$TP_URL")" == *"late.yml|late|late:x"* ]] || fail "late not loaded"
git -C "$W" rm -q alerts/late.yml && commit_all "$W" "no late"
run_kedge apply --repo "$W" "${P[@]}"
assert_rc 0
[ ! -e "$RD/late.yml" ] || fail "late.yml was not removed with its repository file"
[[ "$(tp_groups "$TP_URL")" != *"late.yml"* ]] || fail "late is still loaded"

case_begin "a file kedge did not write where one of the repository's goes is refused before any write"
printf 'groups:\n  - name: mine\n    rules:\n      - record: mine:x\n        expr: vector(2)\n' >"$RD/ops.yml"
ops_sum=$(sha256sum "$RD/ops.yml")
node_sum=$(sha256sum "$RD/node.yml")
printf 'groups:\n  - name: ops\n    rules:\n      - record: ops:x\n        expr: vector(3)\n' >"$W/alerts/ops.yml"
sed -i 's/vector(1) > 3/vector(1) > 4/' "$W/alerts/node.yml"
commit_all "$W" "ops collides"
run_kedge apply --repo "$W" "${P[@]}"
assert_rc 2
assert_err_contains "ops.yml' was not written by kedge; refusing to replace it with alerts/ops.yml"
assert_eq "$(sha256sum "$RD/ops.yml")" "$ops_sum" "the foreign ops.yml"
assert_eq "$(sha256sum "$RD/node.yml")" "$node_sum" "node.yml"
rm -f "$RD/ops.yml"
run_kedge apply --repo "$W" "${P[@]}"
assert_rc 0

case_begin "a bad expression changes nothing and names the file and line"
node_sum=$(sha256sum "$RD/node.yml")
before=$(tp_groups "$TP_URL")
sed -i 's/vector(1) > 4/vector(1) >>> 4/' "$W/alerts/node.yml"
commit_all "$W" "bad expr"
run_kedge apply --repo "$W" "${P[@]}"
assert_rc 2
assert_err_contains "alerts/node.yml:"
assert_err_contains "promtool"
assert_eq "$(sha256sum "$RD/node.yml")" "$node_sum" "node.yml after a bad expression"
assert_eq "$(tp_groups "$TP_URL")" "$before" "the loaded rules after a bad expression"

case_begin "a broken template changes nothing and names the file"
sed -i 's/vector(1) >>> 4/vector(1) > 4/; s/is full"/is full {{ .Labels.x"/' "$W/alerts/node.yml"
commit_all "$W" "bad template"
run_kedge apply --repo "$W" "${P[@]}"
assert_rc 2
assert_err_contains "alerts/node.yml:"
assert_eq "$(sha256sum "$RD/node.yml")" "$node_sum" "node.yml after a broken template"
sed -i 's/ {{ .Labels.x"/"/' "$W/alerts/node.yml"
commit_all "$W" "template fixed"

case_begin "a failing rule test changes nothing and names the test file, the test and the alert"
node_sum=$(sha256sum "$RD/node.yml")
before=$(tp_groups "$TP_URL")
sed -i 's/vector(1) > 4/vector(1) > 6/' "$W/alerts/node.yml"
cat >"$W/alerts/node.test.yml" <<'YAML'
rule_files: [node.yml]
evaluation_interval: 1m
tests:
  - name: disk fills
    interval: 1m
    input_series: []
    alert_rule_test:
      - eval_time: 20m
        alertname: DiskFull
        exp_alerts:
          - exp_labels: {severity: ticket}
YAML
commit_all "$W" "a rule test that fails"
run_kedge apply --repo "$W" "${P[@]}"
assert_rc 2
assert_err_contains "alerts/node.test.yml:"
assert_err_contains "disk fills"
assert_err_contains "DiskFull"
assert_eq "$(sha256sum "$RD/node.yml")" "$node_sum" "node.yml after a failing rule test"
assert_eq "$(tp_groups "$TP_URL")" "$before" "the loaded rules after a failing rule test"
git -C "$W" rm -q alerts/node.test.yml && commit_all "$W" "no rule test"

case_begin "a reload that Prometheus refuses puts the previous files back"
printf 'groups:\n  - name: broken\n    rules:\n      - record: "not a metric name"\n        expr: vector(1)\n' >"$RD/zz-broken.yml"
node_sum=$(sha256sum "$RD/node.yml")
sed -i 's/vector(1) > 6/vector(1) > 5/' "$W/alerts/node.yml"
commit_all "$W" "a change while a foreign file is broken"
run_kedge apply --repo "$W" "${P[@]}"
assert_rc 2
assert_err_contains "refused the new rules"
assert_err_contains "zz-broken.yml:"
assert_err_contains "the previous rules are back on disk"
assert_eq "$(sha256sum "$RD/node.yml")" "$node_sum" "node.yml after a refused reload"
rm -f "$RD/zz-broken.yml"

case_begin "the foreign file was never touched"
assert_eq "$(sha256sum "$RD/foreign.yml")" "$foreign_sum" "foreign.yml"

case_begin "Prometheus stopped: the Prometheus part fails alone with exit 2; once it is back the next apply converges"
"$TP_ENV" stop "$TP_A" >/dev/null 2>&1
node_sum=$(sha256sum "$RD/node.yml")
run_kedge apply --repo "$W" "${P[@]}" --prometheus-timeout 3s
assert_rc 2
assert_err_contains "the Prometheus part"
assert_err_contains "$TP_URL"
assert_eq "$(sha256sum "$RD/node.yml")" "$node_sum" "node.yml while Prometheus was down"
tp_start "$TP_A"
P=(--prometheus-url "$TP_URL" --prometheus-rules-dir "$RD")
run_kedge apply --repo "$W" "${P[@]}"
assert_rc 0
cmp -s "$W/alerts/node.yml" "$RD/node.yml" || fail "node.yml did not converge"
run_kedge diff --repo "$W" "${P[@]}"
assert_rc 0

case_begin "without the lifecycle API, apply says how to reload and changes nothing"
mkdir -p "$TP_B"
out=$(PR_LIFECYCLE= "$TP_ENV" start "$TP_B") || fail "cannot start the second Prometheus"
URL_B=$(echo "$out" | sed -n 's/^export KEDGE_TEST_PROM_URL=//p')
RD_B=$TP_B/rules/kedge
run_kedge apply --repo "$W" --prometheus-url "$URL_B" --prometheus-rules-dir "$RD_B"
assert_rc 2
assert_err_contains "--web.enable-lifecycle"
assert_err_contains "nothing was changed"
[ -z "$(ls "$RD_B")" ] || fail "files were written: $(ls "$RD_B")"

case_begin "--prometheus-reload signal:PIDFILE reloads by SIGHUP and verifies"
run_kedge apply --repo "$W" --prometheus-url "$URL_B" --prometheus-rules-dir "$RD_B" \
	--prometheus-reload "signal:$TP_B/prometheus.pid"
assert_rc 0
[[ "$(tp_groups "$URL_B")" == *"node.yml|node|DiskFull"* ]] || fail "not loaded by SIGHUP"

case_begin "a reload that is never confirmed puts the previous files back"
sleep 600 &
decoy=$!
echo "$decoy" >"$PWD/decoy.pid"
sed -i 's/for: 10m/for: 20m/' "$W/alerts/node.yml"
commit_all "$W" "for 20m"
node_sum=$(sha256sum "$RD_B/node.yml")
run_kedge apply --repo "$W" --prometheus-url "$URL_B" --prometheus-rules-dir "$RD_B" \
	--prometheus-reload "signal:$PWD/decoy.pid" --prometheus-timeout 2s
assert_rc 2
assert_err_contains "did not confirm a reload"
assert_eq "$(sha256sum "$RD_B/node.yml")" "$node_sum" "node.yml after an unconfirmed reload"
kill "$decoy" 2>/dev/null

case_begin "--prometheus-reload with a bad value is a usage error"
run_kedge apply --repo "$W" "${P[@]}" --prometheus-reload sometimes
assert_rc 2
assert_err_contains "--prometheus-reload must be 'http' or 'signal:PIDFILE'"
KEDGE_PROMETHEUS_TIMEOUT=soon run_kedge diff --repo "$W" "${P[@]}"
assert_rc 2
assert_err_contains "KEDGE_PROMETHEUS_TIMEOUT must be seconds or a duration like 10s, not 'soon'"

case_begin "settings come from KEDGE_* variables too"
KEDGE_PROMETHEUS_URL=$TP_URL KEDGE_PROMETHEUS_RULES_DIR=$RD run_kedge diff --repo "$W"
assert_rc 1
assert_out_contains "~ alert node.yml/node/DiskFull: for: 10m -> 20m"
