# needs: docker
#
# kedge mcp over stdio, driven by the official TypeScript SDK client
# (tests/mcp/client.mjs, pinned in tests/mcp/package-lock.json), against a
# real swarm, a real bare remote and the daemon: the handshake and the tool
# list, --read-only and --tools, every read tool, write tools that make one
# commit each (a one-line diff for a scale, comments and anchors kept), the
# daemon applying a scale, bad requests that leave the remote as it was, a
# stale expected_revision, two writers racing, destructive tools asked
# through elicitation or confirm: true, the default branch mode, resources,
# prompts, protocol errors, and the audit log.

. "$(dirname "$KEDGE_IT_LIB")/../env/gitlib.sh"

HERE=$(dirname "$KEDGE_IT_LIB")
CLIENT=$HERE/../mcp/client.mjs
W=$PWD/work-repo
BARE=$(git_make_bare mcp-remote)
STATE=$PWD/state
DPID=""

cleanup() {
	[ -n "$DPID" ] && kill -KILL "$DPID" 2>/dev/null
	for s in mweb mapi mdb mnew; do docker_cli stack rm "$s" >/dev/null 2>&1; done
}
trap 'cleanup; lib_on_exit' EXIT

git_make_repo "$W"
printf 'instance: t-mcp\n' >"$W/kedge.yml"
mkdir -p "$W/stacks/mweb" "$W/stacks/mapi" "$W/stacks/mdb" "$W/alerts"
cat >"$W/stacks/mweb/compose.yml" <<'YML'
# The web tier.
x-defaults: &defaults
  restart_policy:
    condition: any   # keep it running

services:
  web:
    image: nginx:1.25
    command: ["sleep", "3600"]
    environment:
      MODE: production
      API_KEY: s3cr3t-value
    deploy:
      <<: *defaults
      replicas: 1   # how many
      labels:
        com.example.tier: web
YML
cat >"$W/stacks/mapi/compose.yml" <<'YML'
services:
  api:
    image: "nginx:1.25"
    command: ["sleep", "3600"]
    environment:
      - LOG_LEVEL=info
    deploy:
      replicas: 1
YML
cat >"$W/stacks/mdb/compose.yml" <<'YML'
services:
  db:
    image: nginx:1.25
    command: ["sleep", "3600"]
YML
cat >"$W/alerts/node.yml" <<'YML'
groups:
  - name: node
    rules:
      # the one that pages
      - alert: NodeDown
        expr: up == 0
        for: 5m
YML
git_commit_all "$W" "desired state" && git -C "$W" push -q "$BARE" main:main ||
	fail "cannot seed the remote"

# mcp STEPS [KEDGE-MCP-ARGS...]: one client session; lines in MCP_OUT, the
# client's status in MCP_RC, the server's stderr in $PWD/mcp.err.
MCP_ELICIT=none
mcp() {
	local steps=$1
	shift
	: >"$PWD/mcp.err"
	MCP_OUT=$(printf '%s' "$steps" | timeout -k 5 120 node "$CLIENT" \
		--timeout 90000 --elicit "$MCP_ELICIT" --stdio -- \
		"$KEDGE" mcp --repo "$BARE" --ref main --state-dir "$STATE" \
		--author 'Ann Operator <ann@example.com>' "$@" 2>>"$PWD/mcp.err")
	MCP_RC=$?
	echo "+ mcp $* -> rc=$MCP_RC"
	lib_show stdout "$MCP_OUT"
	lib_show stderr "$(tail -n 40 "$PWD/mcp.err")"
	if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$PWD/mcp.err"; then
		fail "kedge mcp: sanitizer report on stderr"
	fi
}

# check PYTHON-EXPR: evaluated with L (the output lines, parsed), R(i) (the
# result of step i, 1-based), S(i) its structured content, T(i) its text
# and E(i) its isError; fails the case when false.
CHECK_PY='
import json, os, sys
L = [json.loads(l) for l in os.environ["MCP_OUT"].splitlines() if l.strip()]
def R(i): return L[i]["result"]
def S(i): return L[i]["result"]["structuredContent"]
def T(i): return L[i]["result"]["content"][0]["text"]
def E(i): return L[i]["result"].get("isError", False)
if not eval(sys.argv[1]):
    sys.exit(1)
'
check() {
	MCP_OUT=$MCP_OUT python3 -c "$CHECK_PY" "$1" >"$PWD/check.out" 2>&1 || {
		fail "check failed: $1"
		cat "$PWD/check.out"
	}
}

# sval I KEY: structuredContent[KEY] of step I.
sval() {
	MCP_OUT=$MCP_OUT python3 -c '
import json, os, sys
l = os.environ["MCP_OUT"].splitlines()[int(sys.argv[1])]
print(json.loads(l)["result"]["structuredContent"][sys.argv[2]])' "$1" "$2"
}

call() { # call NAME JSON-ARGS: a callTool step
	printf '{"op":"callTool","name":"%s","arguments":%s}' "$1" "$2"
}

rev() { git --git-dir="$BARE" rev-parse "${1:-main}"; }
branches() { git --git-dir="$BARE" for-each-ref --format='%(refname)' refs/heads | sort; }
replicas() {
	docker_cli service inspect "$1" --format '{{.Spec.Mode.Replicated.Replicas}}' 2>/dev/null
}
has_replicas() { [ "$(replicas "$1")" = "$2" ]; }

if ! [ -d "$HERE/../mcp/node_modules/@modelcontextprotocol/sdk" ]; then
	case_begin "the MCP test client is installed"
	fail "tests/mcp/node_modules is missing: run make mcp-deps"
	return
fi

case_begin "kedge apply deploys the seeded stacks"
run_kedge apply --repo "$BARE" --ref main --yes --store "$STATE/state.db"
assert_rc 0
has_replicas mweb_web 1 || fail "mweb_web was not deployed"

case_begin "initialize negotiates 2025-11-25 and lists every tool with annotations and schemas"
mcp '[{"op":"listTools"},{"op":"ping"}]'
assert_eq "$MCP_RC" 0 "client exit status"
check 'L[0]["protocolVersion"] == "2025-11-25" and L[0]["serverVersion"]["name"] == "kedge"'
check '"tools" in L[0]["capabilities"] and L[0]["instructions"]'
check 'sorted(t["name"] for t in R(1)["tools"]) == sorted("list_nodes list_stacks get_stack show_plan show_drift reconcile_history list_alert_rules analyze_metrics list_backups execute_health_check deploy_stack scale_service set_image set_environment set_placement label_node add_alert_rule remove_alert_rule remove_stack set_backup_schedule propose_changes reconcile_now".split())'
check 'all(__import__("re").fullmatch("[a-z0-9_]{1,64}", t["name"]) and t["inputSchema"]["type"] == "object" and "outputSchema" in t and "annotations" in t for t in R(1)["tools"])'
check '[t for t in R(1)["tools"] if t["name"] == "list_stacks"][0]["annotations"]["readOnlyHint"] is True'
check '[t for t in R(1)["tools"] if t["name"] == "remove_stack"][0]["annotations"]["destructiveHint"] is True'
check 'L[2]["ok"] is True'

case_begin "--read-only offers no write tool and refuses a write call"
before=$(rev)
mcp "[{\"op\":\"listTools\"},$(call scale_service '{"stack":"mweb","service":"web","replicas":2,"reason":"r"}')]" --read-only
check 'all(t["annotations"]["readOnlyHint"] for t in R(1)["tools"]) and len(R(1)["tools"]) == 10'
check 'L[2]["ok"] is False and L[2]["error"]["code"] == -32602'
assert_eq "$(rev)" "$before" "main after a refused write"

case_begin "--tools narrows the set; an unknown name stops kedge mcp with a usage error"
mcp '[{"op":"listTools"}]' --tools list_stacks,scale_service
check 'sorted(t["name"] for t in R(1)["tools"]) == ["list_stacks", "scale_service"]'
mcp '[{"op":"listTools"}]' --tools list_stack
assert_eq "$MCP_RC" 1 "client exit status when the server cannot start"
grep -q "unknown tool 'list_stack' in --tools (did you mean 'list_stacks'?)" "$PWD/mcp.err" ||
	fail "no usage error naming the unknown tool"

case_begin "read tools answer from the tracked branch and the live swarm, secrets hidden"
mcp "[$(call list_stacks '{}'),$(call get_stack '{"stack":"mweb"}'),$(call list_nodes '{}'),$(call show_plan '{}'),$(call list_alert_rules '{}'),$(call get_stack '{"stack":"nope"}'),$(call reconcile_history '{}'),$(call show_drift '{"limit":5}')]"
check 'sorted(s["name"] for s in S(1)["stacks"]) == ["mapi", "mdb", "mweb"] and S(1)["revision"] == "'"$(rev)"'"'
check 'S(2)["live"]["web"]["replicas"] == 1 and S(2)["desired"]["services"]["web"]["environment"]["API_KEY"] == "(hidden)"'
check '"s3cr3t-value" not in json.dumps(L)'
check 'len(S(3)["nodes"]) >= 1 and S(3)["nodes"][0]["state"] == "ready"'
check 'S(4)["in_sync"] is True'
check '[r["alert"] for r in S(5)["rules"]] == ["NodeDown"]'
check 'E(6) and "no stack" in T(6)'
check 'not E(7) and "reconciles" in S(7)'
check 'not E(8) and "drift" in S(8)'

case_begin "scale_service commits a one-line change to the tracked branch with the reason and a trailer"
before=$(rev)
mcp "[$(call scale_service '{"stack":"mweb","service":"web","replicas":3,"reason":"scale the web to three"}')]" --commit-to tracked
check 'not E(1) and S(1)["branch"] == "main" and S(1)["base"] == "'"$before"'" and S(1)["files"] == ["stacks/mweb/compose.yml"]'
check '"-      replicas: 1   # how many" in S(1)["diff"] and "+      replicas: 3   # how many" in S(1)["diff"]'
check 'S(1)["plan"]["summary"]["update"] == 1'
assert_eq "$(rev)" "$(sval 1 commit)" "main is the returned commit"
assert_eq "$(git --git-dir="$BARE" rev-parse main~1)" "$before" "the commit's parent"
assert_eq "$(git --git-dir="$BARE" diff --numstat "$before" main | tr '\t' ' ')" "1 1 stacks/mweb/compose.yml" "a one-line diff"
git --git-dir="$BARE" show -s --format='%an <%ae>%n%B' main >"$PWD/msg"
assert_file_contains "$PWD/msg" "Ann Operator <ann@example.com>"
assert_file_contains "$PWD/msg" "scale the web to three"
assert_file_contains "$PWD/msg" "Kedge-Tool: scale_service"
git --git-dir="$BARE" show main:stacks/mweb/compose.yml >"$PWD/after.yml"
assert_file_contains "$PWD/after.yml" "# The web tier."
assert_file_contains "$PWD/after.yml" "<<: *defaults"
assert_file_contains "$PWD/after.yml" "condition: any   # keep it running"

case_begin "the daemon applies the MCP commit and the live replica count changes"
"$KEDGE" run --repo "$BARE" --ref main --listen 127.0.0.1:0 --state-dir "$STATE" \
	--interval 2s 2>"$PWD/daemon.log" &
DPID=$!
wait_for 90 has_replicas mweb_web 3 || fail "mweb_web did not reach 3 replicas (now $(replicas mweb_web))"
kill -TERM "$DPID"
wait "$DPID"
DPID=""
assert_no_sanitizer_report "$PWD/daemon.log"

case_begin "bad requests are refused with the reason and leave the remote exactly as it was"
before=$(rev)
refs=$(branches)
mcp "[$(call scale_service '{"stack":"mweb","service":"web","replicas":-1,"reason":"r"}'),$(call scale_service '{"stack":"mweb","service":"nope","replicas":2,"reason":"r"}'),$(call scale_service '{"stack":"ghost","service":"web","replicas":2,"reason":"r"}'),$(call set_placement '{"stack":"mweb","service":"web","constraints":["node.labels.zone == mars"],"reason":"r"}'),$(call set_image '{"stack":"mweb","service":"web","image":"nginx:1.25","reason":"same"}'),$(call scale_service '{"stack":"mweb","service":"web","replicas":2}'),$(call add_alert_rule '{"file":"node","group":"node","alert":"Bad","expr":"up ==","reason":"r"}')]" --commit-to tracked
check 'E(1) and "/replicas" in T(1)'
check 'E(2) and "no service '"'"'nope'"'"' in stack '"'"'mweb'"'"'" in T(2) and "has: web" in T(2)'
check 'E(3) and "no stack '"'"'ghost'"'"'" in T(3)'
check 'E(4) and "nothing was committed" in T(4) and "stacks/mweb/compose.yml" in T(4)'
check 'not E(5) and S(5)["commit"] is None and "nothing to change" in T(5)'
check 'E(6) and "reason" in T(6)'
check 'E(7) and "nothing was committed" in T(7) and "alerts/node.yml" in T(7)'
assert_eq "$(rev)" "$before" "main after the refused calls"
assert_eq "$(branches)" "$refs" "branches after the refused calls"

case_begin "a stale expected_revision is a conflict; the current one commits"
before=$(rev)
mcp "[$(call set_image '{"stack":"mapi","service":"api","image":"nginx:1.27","reason":"r","expected_revision":"0000000000000000000000000000000000000000"}'),$(call set_image '{"stack":"mapi","service":"api","image":"nginx:1.27","reason":"upgrade the api","expected_revision":"'"$before"'"}')]" --commit-to tracked
check 'E(1) and "conflict" in T(1)'
check 'not E(2) and S(2)["base"] == "'"$before"'"'
check '"-    image: \"nginx:1.25\"" in S(2)["diff"] and "+    image: \"nginx:1.27\"" in S(2)["diff"]'
assert_eq "$(git --git-dir="$BARE" rev-parse main~1)" "$before" "one commit on top"

case_begin "set_environment keeps each file's form: a mapping and a KEY=value list"
mcp "[$(call set_environment '{"stack":"mweb","service":"web","set":{"MODE":"staging","NEW_ONE":"5"},"reason":"r"}'),$(call set_environment '{"stack":"mapi","service":"api","set":{"LOG_LEVEL":"debug","TZ":"UTC"},"unset":["NOPE"],"reason":"r"}')]" --commit-to tracked
check 'not E(1) and "+      MODE: staging" in S(1)["diff"] and "+      NEW_ONE: \"5\"" in S(1)["diff"]'
check 'not E(2) and "+      - LOG_LEVEL=debug" in S(2)["diff"] and "+      - TZ=UTC" in S(2)["diff"]'
run_kedge validate --repo "$BARE" --ref main
assert_rc 0

case_begin "two writers racing on the tracked branch both land (the loser is redone on the new head)"
before=$(rev)
( mcp "[$(call scale_service '{"stack":"mapi","service":"api","replicas":2,"reason":"a"}')]" --commit-to tracked
  printf '%s\n' "$MCP_OUT" >"$PWD/race-a" ) >/dev/null 2>&1 &
pa=$!
( mcp "[$(call label_node '{"hostname":"'"$(docker_cli node ls --format '{{.Hostname}}' | head -n 1)"'","labels":{"disk":"ssd"},"reason":"b"}')]" --commit-to tracked
  printf '%s\n' "$MCP_OUT" >"$PWD/race-b" ) >/dev/null 2>&1 &
pb=$!
wait "$pa" "$pb"
MCP_OUT=$(cat "$PWD/race-a")
check 'not E(1) or "conflict" in T(1)'
a_ok=$(python3 -c 'import json,sys; l=sys.stdin.read().splitlines(); print(0 if json.loads(l[1])["result"].get("isError") else 1)' <"$PWD/race-a")
b_ok=$(python3 -c 'import json,sys; l=sys.stdin.read().splitlines(); print(0 if json.loads(l[1])["result"].get("isError") else 1)' <"$PWD/race-b")
assert_eq "$(git --git-dir="$BARE" rev-list --count "$before"..main)" "$((a_ok + b_ok))" "commits landed = writes that succeeded"
[ $((a_ok + b_ok)) -ge 1 ] || fail "neither racing write landed"

case_begin "destructive tools: refused without a way to ask, declined, then accepted through elicitation"
before=$(rev)
mcp "[$(call remove_stack '{"stack":"mdb","reason":"not needed"}')]" --commit-to tracked
check 'E(1) and "confirm: true" in T(1)'
MCP_ELICIT=decline mcp "[$(call remove_stack '{"stack":"mdb","reason":"not needed"}')]" --commit-to tracked
check 'E(1) and "declined" in T(1)'
assert_eq "$(rev)" "$before" "main after the refused and declined removals"
MCP_ELICIT=accept mcp "[$(call remove_stack '{"stack":"mdb","reason":"not needed"}')]" --commit-to tracked
check 'not E(1) and S(1)["files"] == ["stacks/mdb/compose.yml"] and S(1)["plan"]["summary"]["remove"] >= 1'
check 'len(L[1].get("elicitations", [])) == 1'
git --git-dir="$BARE" cat-file -e main:stacks/mdb/compose.yml 2>/dev/null && fail "stacks/mdb is still on main"
mcp "[$(call remove_alert_rule '{"file":"node","group":"node","alert":"NodeDown","reason":"r","confirm":true}'),$(call scale_service '{"stack":"mapi","service":"api","replicas":0,"reason":"stop it"}')]" --commit-to tracked
check 'not E(1) and "-      - alert: NodeDown" in S(1)["diff"] and "-      # the one that pages" in S(1)["diff"]'
check 'E(2) and "confirm: true" in T(2)'

case_begin "the default branch mode pushes kedge/<slug> and leaves main alone"
before=$(rev)
mcp "[$(call add_alert_rule '{"file":"disk","group":"disk","alert":"DiskFull","expr":"node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.1","for":"5m","labels":{"severity":"page"},"reason":"page me when a disk is 90% full"}')]"
check 'not E(1) and S(1)["branch"].startswith("kedge/alert-diskfull-")'
assert_eq "$(rev)" "$before" "main in branch mode"
br=$(sval 1 branch)
git --git-dir="$BARE" show "$br:alerts/disk.yml" >"$PWD/disk.yml" || fail "no $br on the remote"
assert_file_contains "$PWD/disk.yml" "alert: DiskFull"
assert_eq "$(git --git-dir="$BARE" rev-parse "$br~1")" "$before" "the branch starts at main"

case_begin "deploy_stack adds a stack that validates and plans"
mcp "[$(call deploy_stack '{"stack":"mnew","compose":"services:\n  app:\n    image: nginx:1.25\n    deploy:\n      replicas: 1\n","reason":"a new app"}'),$(call deploy_stack '{"stack":"mbad","compose":"services:\n  app:\n    image: [unclosed\n","reason":"broken"}'),$(call deploy_stack '{"stack":"mnew2","compose":"services: {}\n","files":{"../escape":"x"},"reason":"r"}')]" --commit-to tracked
check 'not E(1) and S(1)["files"] == ["stacks/mnew/compose.yml"] and S(1)["plan"]["summary"]["create"] >= 1'
check 'E(2) and "stacks/mbad/compose.yml:" in T(2) and "starts at line 3" in T(2)'
check 'E(3) and "../escape" in T(3)'

case_begin "propose_changes makes several edits one commit, or none when one of them fails"
before=$(rev)
mcp "[$(call propose_changes '{"reason":"api gets two and a new alert","summary":"api x2 with an alert","edits":[{"tool":"scale_service","arguments":{"stack":"mapi","service":"api","replicas":3}},{"tool":"add_alert_rule","arguments":{"file":"node","group":"api","alert":"ApiDown","expr":"absent(up)"}}]}'),$(call propose_changes '{"reason":"r","edits":[{"tool":"scale_service","arguments":{"stack":"mapi","service":"api","replicas":4}},{"tool":"set_image","arguments":{"stack":"mapi","service":"ghost","image":"nginx:1.27"}}]}')]" --commit-to tracked
check 'not E(1) and sorted(S(1)["files"]) == ["alerts/node.yml", "stacks/mapi/compose.yml"]'
check 'E(2) and "edits/1 (set_image)" in T(2)'
assert_eq "$(git --git-dir="$BARE" rev-list --count "$before"..main)" 1 "one commit for the two edits, none for the failed pair"
assert_eq "$(git --git-dir="$BARE" log -1 --format=%s main)" "api x2 with an alert" "the subject"

case_begin "resources are the desired-state documents; secrets and unknown URIs are not"
mcp '[{"op":"listResources"},{"op":"readResource","uri":"kedge://repo/stacks/mweb/compose.yml"},{"op":"readResource","uri":"kedge://repo/../etc/passwd"},{"op":"listPrompts"},{"op":"getPrompt","name":"scale","arguments":{"stack":"mweb","service":"web","replicas":"4"}}]'
check '"kedge://repo/stacks/mweb/compose.yml" in [r["uri"] for r in R(1)["resources"]]'
check '"# The web tier." in R(2)["contents"][0]["text"]'
check 'L[3]["ok"] is False and L[3]["error"]["code"] == -32002'
check '"scale" in [p["name"] for p in R(4)["prompts"]]'
check '"mweb" in R(5)["messages"][0]["content"]["text"]'

case_begin "protocol errors: unknown method, unknown tool, bad arguments"
mcp "[{\"op\":\"request\",\"method\":\"no/such\",\"params\":{}},$(call no_such_tool '{}'),$(call list_stacks '{"extra":1}')]"
check 'L[1]["error"]["code"] == -32601'
check 'L[2]["ok"] is False and L[2]["error"]["code"] == -32602'
check 'E(3) and "extra" in T(3)'

case_begin "every call is in the audit log, secrets masked"
python3 - "$STATE/state.db" >"$PWD/audit.out" <<'PY' || fail "audit log check failed: $(cat "$PWD/audit.out")"
import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute(
    "SELECT who, what, result FROM audit WHERE source = 'mcp'").fetchall()
assert len(rows) >= 20, rows
assert any(w.startswith("scale_service ") and r.startswith("ok commit ") for _, w, r in rows), rows
assert all(who == "stdio" for who, _, _ in rows), rows
assert not any("s3cr3t-value" in w for _, w, _ in rows)
print(len(rows), "audit rows")
PY

case_begin "the daemon serves MCP at /mcp (mcp: enabled) and reconcile_now applies a commit at once"
# the swarm on main first: the daemon holds destructive plans for approval
run_kedge apply --repo "$BARE" --ref main --yes --detach --store "$STATE/state.db"
assert_rc 0
run_kedge token create --name ops --scope write --state-dir "$STATE"
OTOK=$(printf '%s\n' "$OUT" | tail -n 1)
cat >"$PWD/run.yml" <<YML
repo: $BARE
ref: main
listen: 127.0.0.1:0
state_dir: $STATE
interval: 1h
mcp:
  enabled: true
  commit_to: tracked
YML
"$KEDGE" run --config "$PWD/run.yml" 2>"$PWD/daemon2.log" &
DPID=$!
if wait_for 20 grep -q ' port=[0-9]' "$PWD/daemon2.log"; then
	MURL=http://127.0.0.1:$(grep -o ' port=[0-9]*' "$PWD/daemon2.log" | head -n 1 | cut -d= -f2)/mcp
	MCP_OUT=$(printf '%s' "[$(call scale_service '{"stack":"mweb","service":"web","replicas":2,"reason":"two please"}'),$(call reconcile_now '{}')]" |
		timeout -k 5 120 node "$CLIENT" --timeout 90000 --http "$MURL" \
			--header "Authorization: Bearer $OTOK" 2>"$PWD/client2.err")
	lib_show stdout "$MCP_OUT"
	check 'not E(1) and S(1)["branch"] == "main"'
	check 'not E(2) and S(2)["state"] == "queued"'
	wait_for 90 has_replicas mweb_web 2 || fail "mweb_web did not reach 2 replicas (now $(replicas mweb_web))"
	assert_eq "$(git --git-dir="$BARE" log -1 --format=%an main)" "ops" "the author is the token's owner"
	CODE=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		--data-binary '{}' "$MURL")
	assert_eq "$CODE" 401 "the daemon's /mcp without a token"
else
	fail "kedge run did not start"
	cat "$PWD/daemon2.log"
fi
kill -TERM "$DPID"
wait "$DPID"
assert_eq "$?" 0 "kedge run's exit status after SIGTERM"
DPID=""
assert_no_sanitizer_report "$PWD/daemon2.log"

case_begin "execute_health_check reads the live swarm"
mcp "[$(call execute_health_check '{}')]"
check 'not E(1) and [c for c in S(1)["checks"] if c["name"] == "nodes_ready"][0]["ok"] is True'
check '[c for c in S(1)["checks"] if c["name"] == "services_converged"][0]["ok"] is not None'

case_begin "every example's YAML survives a round of edits with its comments and anchors"
EX=$PWD/examples-repo
EXBARE=$(git_make_bare mcp-examples)
git_make_repo "$EX"
cp -r "$HERE/../../examples/quickstart/." "$EX/"
# as contrib/demo.sh does: the example's node is this swarm's node
host=$(docker_cli node ls --format '{{.Hostname}}' | head -n 1)
sed -i "s/manager-1:/$host:/" "$EX/nodes.yml"
printf 'instance: t-mcp-examples\n' >>"$EX/kedge.yml"
git_commit_all "$EX" "the quickstart" && git -C "$EX" push -q "$EXBARE" main:main ||
	fail "cannot seed the examples remote"
steps=$(python3 - "$EX" <<'PY'
import glob, json, os, sys
root = sys.argv[1]
steps = []
for f in sorted(glob.glob(os.path.join(root, "stacks", "*", "compose.yml"))):
    stack = f.split(os.sep)[-2]
    text = open(f).read()
    # the service names: top-level keys under services:, two spaces in
    inside = False
    for line in text.splitlines():
        if line.startswith("services:"):
            inside = True
            continue
        if inside and line and not line.startswith(" ") and not line.startswith("#"):
            inside = False
        if inside and line.startswith("  ") and not line.startswith("   ") and line.strip().endswith(":") and not line.strip().startswith("#"):
            svc = line.strip()[:-1]
            for tool, args in (("scale_service", {"replicas": 3}),
                               ("set_environment", {"set": {"KEDGE_EDITED": "yes"}}),
                               ("set_image", {"image": "nginx:1.27"})):
                a = {"stack": stack, "service": svc, "reason": "round of edits"}
                a.update(args)
                steps.append({"op": "callTool", "name": tool, "arguments": a})
print(json.dumps(steps))
PY
)
MCP_OUT=$(printf '%s' "$steps" | timeout -k 5 300 node "$CLIENT" --timeout 90000 --stdio -- \
	"$KEDGE" mcp --repo "$EXBARE" --ref main --commit-to tracked --state-dir "$STATE" 2>"$PWD/ex.err")
lib_show stdout "$(printf '%s' "$MCP_OUT" | cut -c1-400)"
check 'len(L) > 3 and all(not l["result"].get("isError") for l in L[1:])'
for f in $(cd "$EX" && git ls-files 'stacks/*/compose.yml'); do
	git -C "$EX" show "HEAD:$f" >"$PWD/before.yml"
	git --git-dir="$EXBARE" show "main:$f" >"$PWD/after.yml"
	# every comment line and every anchor, alias and merge key is still there
	grep -E '^\s*#|&[A-Za-z]|\*[A-Za-z]|<<:' "$PWD/before.yml" | while IFS= read -r line; do
		grep -qxF -- "$line" "$PWD/after.yml" || echo "$f lost: $line"
	done >"$PWD/lost"
	[ -s "$PWD/lost" ] && { fail "$f lost lines"; cat "$PWD/lost"; }
	grep -q 'KEDGE_EDITED' "$PWD/after.yml" || fail "$f was not edited"
done
run_kedge validate --repo "$EXBARE" --ref main
assert_rc 0
