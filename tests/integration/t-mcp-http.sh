# needs:
#
# kedge mcp --listen: Streamable HTTP at /mcp, driven by curl for the
# transport's refusals and by the official TypeScript SDK client for
# sessions: tokens made with kedge token (printed once, stored hashed),
# 401 without, with a wrong or a revoked token, 403 for a foreign Origin
# or Host (DNS rebinding), 405, 400, 404, 413, 415, the read and write
# scopes, the commit's author, the rate limit (429), the audit log, and
# SIGTERM.

. "$(dirname "$KEDGE_IT_LIB")/../env/gitlib.sh"

HERE=$(dirname "$KEDGE_IT_LIB")
CLIENT=$HERE/../mcp/client.mjs
W=$PWD/work-repo
BARE=$(git_make_bare mcp-http-remote)
STATE=$PWD/state
SPID=""
URL=""

cleanup() { [ -n "$SPID" ] && kill -KILL "$SPID" 2>/dev/null; }
trap 'cleanup; lib_on_exit' EXIT

git_make_repo "$W"
mkdir -p "$W/stacks/web" "$W/stacks/api"
printf 'services:\n  api:\n    image: nginx:1.25\n' >"$W/stacks/api/compose.yml"
cat >"$W/stacks/web/compose.yml" <<'YML'
services:
  web:
    image: nginx:1.25
    deploy:
      replicas: 1 # one for now
YML
git_commit_all "$W" "desired state" && git -C "$W" push -q "$BARE" main:main ||
	fail "cannot seed the remote"

# post [CURL-ARGS...]: POST to /mcp; CODE, BODY, HEADERS set.
post() {
	CODE=$(curl -s -D "$PWD/headers" -o "$PWD/body" -w '%{http_code}' \
		--max-time 20 -X POST "$@" "$URL")
	BODY=$(cat "$PWD/body")
	HEADERS=$(cat "$PWD/headers")
}

INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}'

# client TOKEN STEPS: the SDK client over HTTP; output in MCP_OUT.
client() {
	MCP_OUT=$(printf '%s' "$2" | timeout -k 5 120 node "$CLIENT" \
		--timeout 60000 --http "$URL" --header "Authorization: Bearer $1" \
		2>"$PWD/client.err")
	MCP_RC=$?
	echo "+ client -> rc=$MCP_RC"
	lib_show stdout "$MCP_OUT"
	lib_show stderr "$(cat "$PWD/client.err")"
}

pyck() { # pyck EXPR: on L, the client's lines parsed
	MCP_OUT=$MCP_OUT python3 -c '
import json, os, sys
L = [json.loads(l) for l in os.environ["MCP_OUT"].splitlines() if l.strip()]
sys.exit(0 if eval(sys.argv[1]) else 1)' "$1" || fail "check failed: $1"
}

case_begin "kedge token create prints the token once, alone on its last line, and stores only its hash"
run_kedge token create --name ann --scope write --state-dir "$STATE"
assert_rc 0
WTOK=$(printf '%s\n' "$OUT" | tail -n 1)
[[ "$WTOK" =~ ^kedge_[0-9a-f]{40}$ ]] || fail "the last line is not a token: '$WTOK'"
run_kedge token create --name reader --scope read --state-dir "$STATE"
RTOK=$(printf '%s\n' "$OUT" | tail -n 1)
run_kedge token create --name ann --scope read --state-dir "$STATE"
assert_rc 2
assert_err_contains "a token named 'ann' exists"
run_kedge token create --name x --scope admin --state-dir "$STATE"
assert_rc 2
assert_err_contains "--scope read or --scope write"
grep -c "$WTOK" "$STATE/state.db" >/dev/null 2>&1 && fail "the token is in the store in clear"
run_kedge token ls --state-dir "$STATE"
assert_rc 0
assert_out_contains "ann"
assert_out_contains "reader"
assert_out_not_contains "$WTOK"

case_begin "kedge mcp refuses settings it cannot honour, before it serves"
run_kedge mcp --repo "$BARE" --commit-to tracked --state-dir "$STATE" </dev/null
assert_rc 2
assert_err_contains "--commit-to tracked needs --ref"
run_kedge mcp --repo "$BARE" --ref main --forge github --state-dir "$STATE" </dev/null
assert_rc 2
assert_err_contains "--forge needs --forge-repo, --forge-token-file and --ref"
run_kedge mcp --repo "$BARE" --ref main --forge bitbucket --forge-repo a/b \
	--forge-token-file /dev/null --state-dir "$STATE" </dev/null
assert_rc 2
assert_err_contains "github, gitlab or gitea, not 'bitbucket'"
run_kedge mcp --repo "$BARE" --ref main --author 'nobody' --state-dir "$STATE" </dev/null
assert_rc 2
assert_err_contains "--author must be 'Name <email>'"

case_begin "kedge mcp --listen serves /mcp on loopback"
"$KEDGE" mcp --repo "$BARE" --ref main --state-dir "$STATE" --commit-to tracked \
	--listen 127.0.0.1:0 2>"$PWD/server.log" &
SPID=$!
wait_for 20 grep -q ' port=[0-9]' "$PWD/server.log" || { fail "kedge mcp did not start"; cat "$PWD/server.log"; return; }
URL=http://127.0.0.1:$(grep -o ' port=[0-9]*' "$PWD/server.log" | head -n 1 | cut -d= -f2)/mcp
post -H 'Content-Type: application/json' --data-binary "$INIT"
assert_eq "$CODE" 401 "no token"
[[ "$HEADERS" == *"WWW-Authenticate: Bearer"* ]] || fail "401 without WWW-Authenticate: Bearer"
post -H 'Content-Type: application/json' -H 'Authorization: Bearer kedge_0000' --data-binary "$INIT"
assert_eq "$CODE" 401 "a wrong token"
post -H 'Content-Type: application/json' -H "Authorization: Bearer $WTOK" --data-binary "$INIT"
assert_eq "$CODE" 200 "initialize with a token"
[[ "$HEADERS" == *"Mcp-Session-Id: "* ]] || fail "no Mcp-Session-Id on initialize"
SID=$(printf '%s\n' "$HEADERS" | tr -d '\r' | sed -n 's/^Mcp-Session-Id: //p')
[[ "$BODY" == *'"protocolVersion":"2025-11-25"'* ]] || fail "initialize did not answer 2025-11-25"

case_begin "a foreign Origin or Host is refused (DNS rebinding)"
post -H 'Content-Type: application/json' -H "Authorization: Bearer $WTOK" \
	-H 'Origin: http://evil.example' --data-binary "$INIT"
assert_eq "$CODE" 403 "Origin http://evil.example"
post -H 'Content-Type: application/json' -H "Authorization: Bearer $WTOK" \
	-H 'Host: evil.example' --data-binary "$INIT"
assert_eq "$CODE" 403 "Host evil.example"
post -H 'Content-Type: application/json' -H "Authorization: Bearer $WTOK" \
	-H 'Origin: http://localhost:6274' --data-binary "$INIT"
assert_eq "$CODE" 200 "a loopback Origin (the Inspector's)"

case_begin "the transport's other refusals: 405, 400, 404, 415, 413, 202"
CODE=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $WTOK" "$URL")
assert_eq "$CODE" 405 "GET /mcp"
post -H 'Content-Type: application/json' -H "Authorization: Bearer $WTOK" \
	--data-binary '{"jsonrpc":"2.0","id":2,"method":"ping"}'
assert_eq "$CODE" 400 "a request without Mcp-Session-Id"
post -H 'Content-Type: application/json' -H "Authorization: Bearer $WTOK" \
	-H 'Mcp-Session-Id: 00000000000000000000000000000000' \
	--data-binary '{"jsonrpc":"2.0","id":2,"method":"ping"}'
assert_eq "$CODE" 404 "an unknown session"
post -H 'Content-Type: application/json' -H "Authorization: Bearer $WTOK" \
	-H "Mcp-Session-Id: $SID" -H 'MCP-Protocol-Version: 1999-01-01' \
	--data-binary '{"jsonrpc":"2.0","id":2,"method":"ping"}'
assert_eq "$CODE" 400 "an unsupported MCP-Protocol-Version"
post -H 'Content-Type: text/plain' -H "Authorization: Bearer $WTOK" \
	-H "Mcp-Session-Id: $SID" --data-binary '{"jsonrpc":"2.0","id":2,"method":"ping"}'
assert_eq "$CODE" 415 "text/plain"
head -c 5000000 /dev/zero | tr '\0' ' ' >"$PWD/big"
post -H 'Content-Type: application/json' -H "Authorization: Bearer $WTOK" \
	-H "Mcp-Session-Id: $SID" --data-binary @"$PWD/big"
assert_eq "$CODE" 413 "a 5 MB body"
post -H 'Content-Type: application/json' -H "Authorization: Bearer $WTOK" \
	-H "Mcp-Session-Id: $SID" -H 'MCP-Protocol-Version: 2025-11-25' \
	--data-binary '{"jsonrpc":"2.0","method":"notifications/initialized"}'
assert_eq "$CODE" 202 "a notification"
post -H 'Content-Type: application/json' -H "Authorization: Bearer $WTOK" \
	-H "Mcp-Session-Id: $SID" -H 'MCP-Protocol-Version: 2025-11-25' \
	--data-binary '{"jsonrpc":"2.0","id":"p","method":"ping"}'
assert_eq "$CODE" 200 "ping in the session"
assert_eq "$BODY" '{"jsonrpc":"2.0","id":"p","result":{}}' "ping's answer"
CODE=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "Authorization: Bearer $WTOK" \
	-H "Mcp-Session-Id: $SID" "$URL")
assert_eq "$CODE" 200 "DELETE ends the session"
post -H 'Content-Type: application/json' -H "Authorization: Bearer $WTOK" \
	-H "Mcp-Session-Id: $SID" --data-binary '{"jsonrpc":"2.0","id":3,"method":"ping"}'
assert_eq "$CODE" 404 "the ended session"

case_begin "the SDK client over HTTP: read scope sees read tools, write scope commits as the token's owner"
before=$(git --git-dir="$BARE" rev-parse main)
client "$RTOK" '[{"op":"listTools"},{"op":"callTool","name":"scale_service","arguments":{"stack":"web","service":"web","replicas":2,"reason":"r"}},{"op":"callTool","name":"list_stacks","arguments":{}}]'
assert_eq "$MCP_RC" 0 "client exit status"
pyck 'all(t["annotations"]["readOnlyHint"] for t in L[1]["result"]["tools"])'
pyck 'L[2]["result"]["isError"] and "write scope" in L[2]["result"]["content"][0]["text"]'
pyck 'not L[3]["result"]["isError"] and sorted(x["name"] for x in L[3]["result"]["structuredContent"]["stacks"]) == ["api", "web"]'
assert_eq "$(git --git-dir="$BARE" rev-parse main)" "$before" "main after a read-scope write"
client "$WTOK" '[{"op":"callTool","name":"scale_service","arguments":{"stack":"web","service":"web","replicas":2,"reason":"two web replicas please"}},{"op":"callTool","name":"remove_stack","arguments":{"stack":"web","reason":"r"}}]'
pyck 'not L[1]["result"]["isError"] and "+      replicas: 2 # one for now" in L[1]["result"]["structuredContent"]["diff"]'
pyck 'L[2]["result"]["isError"] and "confirm: true" in L[2]["result"]["content"][0]["text"]'
assert_eq "$(git --git-dir="$BARE" log -1 --format=%an main)" "ann" "the commit's author"
git --git-dir="$BARE" log -1 --format=%B main | grep -q "Kedge-Requested-By: ann" ||
	fail "no Kedge-Requested-By: ann trailer"

case_begin "a revoked token is refused at once, even in its open session"
post -H 'Content-Type: application/json' -H "Authorization: Bearer $RTOK" --data-binary "$INIT"
SID=$(printf '%s\n' "$HEADERS" | tr -d '\r' | sed -n 's/^Mcp-Session-Id: //p')
run_kedge token revoke reader --state-dir "$STATE"
assert_rc 0
post -H 'Content-Type: application/json' -H "Authorization: Bearer $RTOK" \
	-H "Mcp-Session-Id: $SID" --data-binary '{"jsonrpc":"2.0","id":2,"method":"ping"}'
assert_eq "$CODE" 401 "the revoked token's session"

case_begin "a token that floods is rate limited with 429 and Retry-After"
# one curl, one connection, 80 requests back to back
urls=()
for i in $(seq 1 80); do urls+=("$URL"); done
curl -s -D "$PWD/h429" -w '%{http_code}\n' --max-time 60 -X POST \
	-H 'Content-Type: application/json' -H "Authorization: Bearer $WTOK" \
	--data-binary '{"jsonrpc":"2.0","method":"notifications/initialized"}' \
	"${urls[@]}" >"$PWD/codes"
n429=$(grep -c '429$' "$PWD/codes") # each body runs into its code
[ "$n429" -ge 1 ] || fail "80 requests at once got no 429: $(sort "$PWD/codes" | uniq -c | tr '\n' ' ')"
grep -q 'Retry-After: 1' "$PWD/h429" || fail "429 without Retry-After"

case_begin "refusals are in the audit log, without tokens; SIGTERM stops the server"
python3 - "$STATE/state.db" "$WTOK" >"$PWD/audit.out" <<'PY' || fail "audit check failed: $(cat "$PWD/audit.out")"
import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute("SELECT source, who, what, result FROM audit").fetchall()
assert any(r[0] == "mcp-http" and r[3] == "401" for r in rows), rows
assert any(r[0] == "mcp-http" and r[3] == "403" for r in rows), rows
assert any(r[0] == "mcp" and r[1] == "ann" and r[2].startswith("scale_service ") for r in rows), rows
assert not any(sys.argv[2] in " ".join(r) for r in rows)
PY
kill -TERM "$SPID"
wait "$SPID"
assert_eq "$?" 0 "exit status after SIGTERM"
SPID=""
grep -q "$WTOK" "$PWD/server.log" && fail "the token is in the server's log"
assert_no_sanitizer_report "$PWD/server.log"

case_begin "--forge opens a pull request (GitHub) or merge request (GitLab) for each pushed branch"
python3 "$HERE/forgestub.py" "$PWD/forge.log" "$PWD/forge.port" &
FPID=$!
wait_for 10 test -s "$PWD/forge.port" || fail "the forge stub did not start"
FURL=http://127.0.0.1:$(cat "$PWD/forge.port")
printf 'ghp-s3cret-forge\n' >"$PWD/forge-token"
# forge STEPS KIND [EXTRA...]: kedge mcp on stdio in branch mode with a forge
forge() {
	local steps=$1 kind=$2
	shift 2
	MCP_OUT=$(printf '%s' "$steps" | timeout -k 5 120 node "$CLIENT" --timeout 60000 \
		--stdio -- "$KEDGE" mcp --repo "$BARE" --ref main --state-dir "$STATE" \
		--forge "$kind" --forge-url "$FURL" --forge-repo ops/swarm \
		--forge-token-file "$PWD/forge-token" "$@" 2>"$PWD/forge-mcp.err")
	lib_show stdout "$MCP_OUT"
}
forge '[{"op":"callTool","name":"set_image","arguments":{"stack":"web","service":"web","image":"nginx:1.27","reason":"upgrade web"}}]' github
pyck 'L[1]["result"]["structuredContent"]["pull_request"] == {"url": "http://forge.test/pull/7", "number": 7}'
pyck 'L[1]["result"]["structuredContent"]["branch"].startswith("kedge/")'
python3 - "$PWD/forge.log" <<'PY' || fail "the GitHub request was not as GitHub wants it: $(tail -n 1 "$PWD/forge.log")"
import json, sys
r = json.loads(open(sys.argv[1]).read().splitlines()[-1])
b = json.loads(r["body"])
assert r["path"] == "/repos/ops/swarm/pulls", r
assert r["headers"]["Authorization"] == "Bearer ghp-s3cret-forge", r
assert b["base"] == "main" and b["head"].startswith("kedge/") and "upgrade web" in b["body"], b
PY
forge '[{"op":"callTool","name":"set_image","arguments":{"stack":"web","service":"web","image":"nginx:1.26","reason":"r"}}]' gitlab --forge-repo group/sub/swarm
pyck 'L[1]["result"]["structuredContent"]["pull_request"] == {"url": "http://forge.test/mr/3", "number": 3}'
python3 - "$PWD/forge.log" <<'PY' || fail "the GitLab request was not as GitLab wants it: $(tail -n 1 "$PWD/forge.log")"
import json, sys
r = json.loads(open(sys.argv[1]).read().splitlines()[-1])
b = json.loads(r["body"])
assert r["path"] == "/projects/group%2Fsub%2Fswarm/merge_requests", r
assert r["headers"]["PRIVATE-TOKEN"] == "ghp-s3cret-forge", r
assert b["target_branch"] == "main" and b["source_branch"].startswith("kedge/"), b
PY
printf 'bad-token\n' >"$PWD/forge-token"
forge '[{"op":"callTool","name":"set_image","arguments":{"stack":"web","service":"web","image":"nginx:1.24","reason":"r"}}]' gitea
pyck 'not L[1]["result"]["isError"] and "refused the token" in L[1]["result"]["structuredContent"]["pull_request_error"]'
br=$(MCP_OUT=$MCP_OUT python3 -c 'import json,os; print(json.loads(os.environ["MCP_OUT"].splitlines()[1])["result"]["structuredContent"]["branch"])')
git --git-dir="$BARE" rev-parse -q --verify "refs/heads/$br" >/dev/null || fail "the branch $br was not pushed"
grep -q 's3cret-forge\|bad-token' "$PWD/forge-mcp.err" && fail "the forge token is in kedge's stderr"
MCP_OUT=$MCP_OUT python3 -c 'import os,sys; sys.exit("bad-token" in os.environ["MCP_OUT"])' || fail "the forge token is in a result"
kill "$FPID" 2>/dev/null
wait "$FPID" 2>/dev/null
