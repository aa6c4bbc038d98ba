# needs: docker
#
# kedge run against a real swarm, a real bare git remote and real HTTP:
# the first reconcile, a push plus a signed webhook of each provider, forged,
# unsigned, oversized and other-branch hooks that trigger nothing, a burst
# of webhooks coalesced, a manual scale repaired (and only reported under
# drift: warn), a broken commit that keeps the last applied state and
# stalls only its stack, an impossible placement stalled while the other
# stack applies, the remote unreachable, the Docker socket gone and back,
# SIGKILL mid-reconcile then a restart, SIGTERM, two daemons on one state
# folder, and the client commands (status, history, reconcile --wait,
# suspend, resume, approve).

. "$(dirname "$KEDGE_IT_LIB")/../env/gitlib.sh"

HERE=$(dirname "$KEDGE_IT_LIB")
W=$PWD/work-repo
BARE=$(git_make_bare run-remote)
SECRET=$PWD/webhook-secret
TOKEN=$PWD/api-token
printf 'hook-s3cret-%s\n' "$RANDOM$RANDOM" >"$SECRET"
printf 'tok-%s%s\n' "$RANDOM" "$RANDOM" >"$TOKEN"
chmod 600 "$SECRET" "$TOKEN"
SECRET_TEXT=$(head -n 1 "$SECRET")
TOKEN_TEXT=$(head -n 1 "$TOKEN")
DPID=""
URL=""

git_make_repo "$W"
# Other files share this swarm: an instance of its own keeps this daemon
# from pruning what they leave behind, and theirs from touching its stacks.
printf 'instance: t-run\n' >"$W/kedge.yml"

# write_stack NAME REPLICAS [EXTRA-DEPLOY-LINES]
write_stack() {
	mkdir -p "$W/stacks/$1"
	cat >"$W/stacks/$1/compose.yml" <<YML
services:
  $1:
    image: nginx:1.25
    command: ["sleep", "3600"]
    deploy:
      replicas: $2
${3:-}
YML
}

push() {
	git_commit_all "$W" "$1" && git -C "$W" push -q --force "$BARE" main:main ||
		fail "push '$1' failed"
}

replicas() {
	docker_cli service inspect "$1" --format '{{.Spec.Mode.Replicated.Replicas}}' 2>/dev/null
}

has_replicas() { [ "$(replicas "$1")" = "$2" ]; }

# start_daemon LOG [ARGS...]: kedge run in the background; sets DPID, URL.
start_daemon() {
	local log=$1 port
	shift
	: >"$log"
	"$KEDGE" run --repo "$BARE" --ref main --listen 127.0.0.1:0 \
		--state-dir "$PWD/state" --interval 1h --log-level debug \
		--webhook-secret-file "$SECRET" --api-token-file "$TOKEN" \
		--drift-debounce 300ms "$@" 2>>"$log" &
	DPID=$!
	if ! wait_for 20 grep -q ' port=[0-9]' "$log"; then
		fail "kedge run did not start; its log:"
		cat "$log"
		return 1
	fi
	port=$(grep -o ' port=[0-9]*' "$log" | head -n 1 | cut -d= -f2)
	URL=http://127.0.0.1:$port
	export KEDGE_SERVER=$URL KEDGE_API_TOKEN_FILE=$TOKEN
}

# stop_daemon: SIGTERM; it must exit 0 within 10 s.
stop_daemon() {
	local rc i
	[ -n "$DPID" ] || return 0
	kill -TERM "$DPID" 2>/dev/null
	for ((i = 0; i < 40; i++)); do
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.25
	done
	if kill -0 "$DPID" 2>/dev/null; then
		fail "kedge run did not exit within 10 s of SIGTERM"
		kill -KILL "$DPID"
	fi
	wait "$DPID"
	rc=$?
	DPID=""
	return "$rc"
}

# get PATH: body in BODY, status in CODE.
get() {
	CODE=$(curl -s -o "$PWD/body" -w '%{http_code}' --max-time 10 "$URL$1")
	BODY=$(cat "$PWD/body")
}

# hook PROVIDER BODY HEADER...: POST to /hooks/PROVIDER.
hook() {
	local p=$1 body=$2 args=()
	shift 2
	for h in "$@"; do args+=(-H "$h"); done
	CODE=$(printf '%s' "$body" | curl -s -o "$PWD/body" -w '%{http_code}' \
		--max-time 10 -X POST -H 'Content-Type: application/json' \
		"${args[@]}" --data-binary @- "$URL/hooks/$p")
	BODY=$(cat "$PWD/body")
}

hmac() {
	printf '%s' "$1" | openssl dgst -sha256 -hmac "$SECRET_TEXT" -r | cut -d' ' -f1
}

push_body() {
	printf '{"ref":"refs/heads/%s","after":"%s","repository":{"default_branch":"main"}}' \
		"$1" "$(git_rev "$W")"
}

# reconcile_count [TRIGGER-PREFIX]: reconciles in the history.
reconcile_count() {
	get "/api/v1/history?limit=1000"
	python3 -c '
import json, sys
print(len([r for r in json.load(sys.stdin)["reconciles"]
           if r["trigger"].startswith(sys.argv[1])]))' "${1:-}" <<<"$BODY"
}

# stack_field STACK FIELD: from /api/v1/status.
stack_field() {
	get /api/v1/status
	python3 -c '
import json, sys
st = json.load(sys.stdin)
for s in st["stacks"]:
    if s["stack"] == sys.argv[1]:
        v = s.get(sys.argv[2])
        print("" if v is None else v)
' "$1" "$2" <<<"$BODY"
}

stack_is() { [ "$(stack_field "$1" status)" = "$2" ]; }

idle() {
	get /api/v1/status
	python3 -c 'import json,sys; s=json.load(sys.stdin); sys.exit(0 if not s["reconciling"] and not s["pending"] and s["ready"] else 1)' <<<"$BODY"
}

cleanup() {
	[ -n "$DPID" ] && kill -KILL "$DPID" 2>/dev/null
	[ -n "${PROXY_PID:-}" ] && kill "$PROXY_PID" 2>/dev/null
	[ -n "${RECV_PID:-}" ] && kill "$RECV_PID" 2>/dev/null
	for s in web api slow gone; do docker_cli stack rm "$s" >/dev/null 2>&1; done
}
trap 'cleanup; lib_on_exit' EXIT

write_stack web 1
write_stack api 1
push "two stacks"

case_begin "kedge run applies the tracked branch and serves health, readiness and metrics"
start_daemon "$PWD/d1.log" || return
wait_for 60 has_replicas web_web 1 || fail "web_web was not created"
wait_for 60 has_replicas api_api 1 || fail "api_api was not created"
wait_for 30 idle || fail "the first reconcile did not finish"
get /healthz
assert_eq "$CODE" 200 "/healthz"
get /readyz
assert_eq "$CODE" 200 "/readyz after the first reconcile"
get /metrics
assert_eq "$CODE" 200 "/metrics"
for m in 'kedge_build_info{version=' 'kedge_reconcile_total{result="ok"} 1' \
	'kedge_reconcile_duration_seconds_bucket{le="+Inf"}' \
	'kedge_git_fetch_duration_seconds_count' 'kedge_last_reconcile_timestamp_seconds' \
	"kedge_applied_revision_info{revision=\"$(git_rev "$W")\"} 1" \
	'kedge_stack_status{stack="web",status="Ready"} 1'; do
	[[ "$BODY" == *"$m"* ]] || fail "/metrics lacks $m"
done
if command -v promtool >/dev/null; then
	printf '%s\n' "$BODY" | promtool check metrics >"$PWD/promtool.out" 2>&1 ||
		{ fail "promtool check metrics refused /metrics"; cat "$PWD/promtool.out"; }
fi
get /api/v1/status
assert_eq "$CODE" 200 "/api/v1/status"
[[ "$BODY" == *"\"revision\":\"$(git_rev "$W")\""* ]] || fail "status lacks the revision"
run_kedge status
assert_rc 0
assert_out_contains "web"
assert_out_contains "Ready"
run_kedge status --output json
assert_rc 0
python3 -c 'import json,sys; s=json.load(sys.stdin); assert s["ready"] is True, s' <<<"$OUT" ||
	fail "kedge status --output json is not the status object"

case_begin "a push plus a signed webhook of each provider is applied"
n=2
for p in github gitlab gitea generic; do
	write_stack web "$n"
	push "web to $n via $p"
	body=$(push_body main)
	case $p in
	github) hook github "$body" "X-GitHub-Event: push" "X-Hub-Signature-256: sha256=$(hmac "$body")" ;;
	gitlab) hook gitlab "$body" "X-Gitlab-Event: Push Hook" "X-Gitlab-Token: $SECRET_TEXT" ;;
	gitea) hook gitea "$body" "X-Gitea-Event: push" "X-Gitea-Signature: $(hmac "$body")" ;;
	generic) hook generic "$body" "X-Kedge-Signature: sha256=$(hmac "$body")" ;;
	esac
	assert_eq "$CODE" 202 "$p push answer"
	wait_for 30 has_replicas web_web "$n" || fail "$p: web_web not scaled to $n ($(replicas web_web))"
	n=$((n + 1))
done
wait_for 30 idle
get /metrics
[[ "$BODY" == *'kedge_webhook_requests_total{provider="github",result="accepted"} 1'* ]] ||
	fail "webhook metric not counted"

case_begin "forged, unsigned, oversized, other-branch and wrong-method hooks trigger nothing"
wait_for 30 idle
before=$(reconcile_count)
write_stack web 9
git_commit_all "$W" "not announced" && git -C "$W" push -q "$BARE" main:main
body=$(push_body main)
hook github "$body" "X-GitHub-Event: push" "X-Hub-Signature-256: sha256=$(printf '0%.0s' {1..64})"
assert_eq "$CODE" 401 "forged github signature"
hook github "$body" "X-GitHub-Event: push"
assert_eq "$CODE" 401 "unsigned github hook"
hook gitlab "$body" "X-Gitlab-Event: Push Hook" "X-Gitlab-Token: wrong"
assert_eq "$CODE" 401 "wrong gitlab token"
hook gitea "$body" "X-Gitea-Event: push" "X-Gitea-Signature: $(hmac "${body}x")"
assert_eq "$CODE" 401 "gitea signature of another body"
hook generic "$body"
assert_eq "$CODE" 401 "unsigned generic hook"
[[ "$BODY" != *"$SECRET_TEXT"* ]] || fail "a 401 answer carries the secret"
big=$(head -c 1100000 /dev/zero | tr '\0' 'a')
hook github "$big" "X-GitHub-Event: push" "X-Hub-Signature-256: sha256=$(hmac "$big")"
assert_eq "$CODE" 413 "a body over 1 MiB"
other=$(push_body dev)
hook github "$other" "X-GitHub-Event: push" "X-Hub-Signature-256: sha256=$(hmac "$other")"
assert_eq "$CODE" 200 "a push to another branch"
ping='{"zen":"hi","hook_id":1}'
hook github "$ping" "X-GitHub-Event: ping" "X-Hub-Signature-256: sha256=$(hmac "$ping")"
assert_eq "$CODE" 200 "a ping"
CODE=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$URL/hooks/github")
assert_eq "$CODE" 405 "GET on a hook"
sleep 1
assert_eq "$(reconcile_count)" "$before" "reconciles after refused hooks"
assert_eq "$(replicas web_web)" 5 "web_web replicas after refused hooks"
if grep -qF "$SECRET_TEXT" "$PWD/d1.log"; then fail "the webhook secret reached the log"; fi
if grep -qF "$(hmac "$body")" "$PWD/d1.log"; then fail "a signature reached the log"; fi

case_begin "a burst of 20 webhooks makes at most 2 reconciles"
wait_for 30 idle
before=$(reconcile_count webhook:)
body=$(push_body main)
sig=$(hmac "$body")
pids=()
for i in $(seq 20); do
	hook github "$body" "X-GitHub-Event: push" "X-Hub-Signature-256: sha256=$sig" &
	pids+=($!)
done
wait "${pids[@]}"
wait_for 60 has_replicas web_web 9 || fail "the announced push was not applied"
wait_for 30 idle
after=$(reconcile_count webhook:)
[ $((after - before)) -ge 1 ] && [ $((after - before)) -le 2 ] ||
	fail "20 webhooks made $((after - before)) reconciles"

case_begin "a manual docker service scale is repaired and recorded as drift"
wait_for 30 idle
docker_cli service scale -d web_web=2 >/dev/null
wait_for 30 has_replicas web_web 9 || fail "drift not repaired: replicas $(replicas web_web)"
wait_for 30 idle
run_kedge history --output json
assert_rc 0
python3 -c '
import json, sys
h = json.load(sys.stdin)
d = [e for e in h["drift"] if e["object"] == "web_web" and e["action"] == "repaired"]
assert d, h["drift"]
assert any("Replicas" in f for f in d[0]["fields"]), d[0]
' <<<"$OUT" || fail "the drift is not in the history with its field"
get /metrics
[[ "$BODY" == *'kedge_drift_events_total{stack="web"}'* ]] || fail "drift metric missing"

case_begin "a manual change while kedge waits for its own update to converge is repaired after it"
mkdir -p "$W/stacks/slow"
cat >"$W/stacks/slow/compose.yml" <<'YML'
services:
  slow:
    image: nginx:1.25
    command: ["sh", "-c", "sleep 6; touch /tmp/ok; sleep 3600"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ok"]
      interval: 1s
      retries: 60
    deploy:
      replicas: 1
YML
push "slow, 1"
run_kedge reconcile --wait
assert_rc 0
sed -i 's/replicas: 1/replicas: 2/' "$W/stacks/slow/compose.yml"
push "slow, 2"
run_kedge reconcile
id=$(grep -o 'reconcile [0-9]* queued' <<<"$OUT" | awk '{print $2}')
wait_for 30 has_replicas slow_slow 2 || fail "kedge did not write the update"
curl -s "$URL/api/v1/reconciles/$id" | grep -q '"state":"running"' ||
	fail "the reconcile was not waiting for convergence any more"
docker_cli service scale -d slow_slow=4 >/dev/null
wait_for 60 idle
wait_for 30 has_replicas slow_slow 2 || fail "the change made during the wait was not repaired: $(replicas slow_slow)"
git -C "$W" rm -rq stacks/slow
push "no slow"
run_kedge reconcile --wait
assert_rc 0

case_begin "under drift: warn a manual change is only reported"
printf 'instance: t-run\ndrift:\n  api: warn\n' >"$W/kedge.yml"
push "api drift warn"
run_kedge reconcile --wait
assert_rc 0
docker_cli service scale -d api_api=3 >/dev/null
sleep 3
wait_for 30 idle
assert_eq "$(replicas api_api)" 3 "api_api was changed back under drift: warn"
run_kedge history --stack api --output json
python3 -c '
import json, sys
h = json.load(sys.stdin)
assert any(e["object"] == "api_api" and e["action"] == "reported" for e in h["drift"]), h["drift"]
' <<<"$OUT" || fail "the reported drift is not in the history"
printf 'instance: t-run\n' >"$W/kedge.yml"
push "api drift repair"
run_kedge reconcile --wait
assert_rc 0
wait_for 30 has_replicas api_api 1 || fail "api_api not repaired after drift: repair"

case_begin "a broken commit keeps the last applied state; only its stack stalls; the next good commit recovers"
printf 'services:\n  web:\n    image: nginx:1.25\n    deploy: [\n' >"$W/stacks/web/compose.yml"
write_stack api 2
push "broken web, api to 2"
run_kedge reconcile --wait
assert_rc 2
wait_for 30 has_replicas api_api 2 || fail "the valid stack was not applied"
assert_eq "$(replicas web_web)" 9 "the broken stack's service was changed"
assert_eq "$(stack_field web status)" Stalled "web status"
reason=$(stack_field web reason)
[[ "$reason" =~ ^stacks/web/compose.yml:[0-9]+:[0-9]+:\  ]] || fail "the Stalled reason lacks file:line: '$reason'"
assert_eq "$(stack_field api status)" Ready "api status"
write_stack web 4
push "web fixed"
run_kedge reconcile --wait
assert_rc 0
wait_for 30 has_replicas web_web 4 || fail "the good commit was not applied"
assert_eq "$(stack_field web status)" Ready "web status after the fix"

case_begin "a stack with an impossible placement is Stalled while the other stack applies"
write_stack web 4 '      placement:
        constraints: ["node.hostname == no-such-node"]'
write_stack api 3
push "web impossible"
run_kedge reconcile --wait
assert_rc 2
wait_for 30 has_replicas api_api 3 || fail "api not applied beside an impossible stack"
assert_eq "$(stack_field web status)" Stalled "web with an impossible placement"
write_stack web 4
push "web possible again"
run_kedge reconcile --wait
assert_rc 0

case_begin "kedge suspend keeps a stack as it is; kedge resume applies it"
run_kedge suspend web
assert_rc 0
write_stack web 1
push "web to 1 while suspended"
run_kedge reconcile --wait
assert_rc 0
assert_eq "$(replicas web_web)" 4 "a suspended stack was changed"
assert_eq "$(stack_field web status)" Suspended "web status"
run_kedge suspend nosuchstack
assert_rc 2
assert_err_contains "no stack 'nosuchstack'"
run_kedge resume web
assert_rc 0
wait_for 30 has_replicas web_web 1 || fail "resume did not apply web"

case_begin "the write API needs the bearer token"
CODE=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST "$URL/api/v1/reconcile")
assert_eq "$CODE" 401 "POST /api/v1/reconcile without a token"
CODE=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST -H "Authorization: Bearer nope" "$URL/api/v1/reconcile")
assert_eq "$CODE" 401 "with a wrong token"
CODE=$(curl -s -o "$PWD/body" -w '%{http_code}' --max-time 10 -X POST -H "Authorization: Bearer $TOKEN_TEXT" "$URL/api/v1/reconcile")
assert_eq "$CODE" 202 "with the token"
id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <"$PWD/body")
wait_for 30 idle
get "/api/v1/reconciles/$id"
assert_eq "$CODE" 200 "GET /api/v1/reconciles/$id"
[[ "$BODY" == *'"state":"done"'* ]] || fail "reconcile $id not done: $BODY"
get /api/v1/reconciles/999999
assert_eq "$CODE" 404 "an unknown reconcile"
if grep -qF "$TOKEN_TEXT" "$PWD/d1.log"; then fail "the API token reached the log"; fi

case_begin "prune: confirm holds a removal until kedge approve"
printf 'instance: t-run\nprune: confirm\n' >"$W/kedge.yml"
write_stack gone 1
push "stack gone"
run_kedge reconcile --wait
assert_rc 0
wait_for 30 has_replicas gone_gone 1 || fail "gone_gone not created"
git -C "$W" rm -rq stacks/gone
push "remove stack gone"
run_kedge reconcile --wait
assert_rc 0
[ -n "$(docker_cli service ls -q --filter name=gone_gone)" ] || fail "removed without approval"
run_kedge status --output json
plan=$(python3 -c 'import json,sys; p=json.load(sys.stdin)["pending_approvals"]; print(p[0]["id"] if p else "")' <<<"$OUT")
[ -n "$plan" ] || fail "no pending approval in kedge status"
run_kedge approve "$plan"
assert_rc 0
wait_for 30 idle
wait_for 30 sh -c "[ -z \"\$(docker service ls -q --filter name=gone_gone)\" ]" ||
	fail "the approved removal was not applied"
run_kedge approve "$plan"
assert_rc 2
printf 'instance: t-run\n' >"$W/kedge.yml"
push "prune back to true"

case_begin "the remote unreachable: the swarm stays, the error is reported, a later push recovers"
mv "$BARE" "$BARE.off"
run_kedge reconcile --wait
assert_rc 2
run_kedge status --output json
[[ "$OUT" == *"cannot check the remote"* ]] || fail "status does not say the remote failed"
assert_eq "$(replicas web_web)" 1 "web_web changed while the remote is gone"
get /metrics
[[ "$BODY" == *"kedge_git_errors_total 1"* ]] || [[ "$BODY" == *"kedge_git_errors_total "* ]] || fail "git error not counted"
mv "$BARE.off" "$BARE"
write_stack web 2
push "after the outage"
run_kedge reconcile --wait
assert_rc 0
wait_for 30 has_replicas web_web 2 || fail "not recovered after the remote came back"

case_begin "SIGTERM stops the daemon with exit 0; a second daemon on the same state folder is refused"
"$KEDGE" run --repo "$BARE" --ref main --listen 127.0.0.1:0 --state-dir "$PWD/state" \
	>"$PWD/second.out" 2>"$PWD/second.err"
assert_eq "$?" 2 "second daemon exit code"
assert_file_contains "$PWD/second.err" "another kedge run uses the state folder"
stop_daemon
assert_eq "$?" 0 "kedge run exit code after SIGTERM"
grep -q 'kedge run stopped' "$PWD/d1.log" || fail "no stop line in the log"
assert_no_sanitizer_report "$PWD/d1.log"

case_begin "SIGKILL mid-reconcile loses only that reconcile; the restart marks it interrupted"
start_daemon "$PWD/d2.log" || return
wait_for 60 idle
cat >"$W/stacks/slow/compose.yml" 2>/dev/null || mkdir -p "$W/stacks/slow"
cat >"$W/stacks/slow/compose.yml" <<'YML'
services:
  slow:
    image: nginx:1.25
    command: ["sh", "-c", "sleep 3600"]
    healthcheck:
      test: ["CMD", "false"]
      interval: 2s
      retries: 30
      start_period: 60s
YML
push "slow"
run_kedge reconcile
assert_rc 0
id=$(grep -o 'reconcile [0-9]* queued' <<<"$OUT" | awk '{print $2}')
wait_for 30 sh -c "curl -s $URL/api/v1/reconciles/$id | grep -q '\"state\":\"running\"'" ||
	fail "reconcile $id did not start"
sleep 2
kill -KILL "$DPID"
wait "$DPID" 2>/dev/null
DPID=""
start_daemon "$PWD/d3.log" || return
wait_for 60 idle
get "/api/v1/reconciles/$id"
[[ "$BODY" == *'"result":"interrupted"'* ]] || fail "reconcile $id not marked interrupted: $BODY"
git -C "$W" rm -rq stacks/slow
push "no slow"
run_kedge reconcile --wait
assert_rc 0

case_begin "the Docker socket gone and back: the event stream reconnects and drift is repaired again"
stop_daemon
PROXY=$PWD/docker-proxy.sock
python3 "$HERE/sockproxy.py" "$PROXY" "${DOCKER_HOST#unix://}" &
PROXY_PID=$!
wait_for 10 test -S "$PROXY"
start_daemon "$PWD/d4.log" --docker-host "unix://$PROXY" || return
wait_for 60 idle
kill "$PROXY_PID"
wait "$PROXY_PID" 2>/dev/null
wait_for 20 grep -q 'event stream' "$PWD/d4.log" || fail "the lost stream was not noticed"
python3 "$HERE/sockproxy.py" "$PROXY" "${DOCKER_HOST#unix://}" &
PROXY_PID=$!
wait_for 40 sh -c "curl -s $URL/api/v1/status | grep -q '\"events\":true'" ||
	fail "the event stream did not reconnect"
wait_for 30 idle
docker_cli service scale -d web_web=5 >/dev/null
wait_for 30 has_replicas web_web 2 || fail "drift not repaired after the reconnect"
stop_daemon
kill "$PROXY_PID"
PROXY_PID=""

case_begin "a configuration file: notifications of a failure (once) and the recovery, JSON logs"
python3 "$HERE/hookrecv.py" "$PWD/recv.port" "$PWD/recv.out" 500 &
RECV_PID=$!
wait_for 10 test -s "$PWD/recv.port" || fail "the receiver did not start"
cat >"$PWD/kedge-run.yml" <<YML
version: 1
repo: $BARE
ref: main
interval: 1h
listen: 127.0.0.1:0
state_dir: $PWD/state
webhook_secret_file: $SECRET
api_token_file: $TOKEN
log_format: json
notify:
  - url: http://127.0.0.1:$(cat "$PWD/recv.port")/kedge
    events: [failure, recovery]
YML
"$KEDGE" run --config "$PWD/kedge-run.yml" 2>"$PWD/d5.log" &
DPID=$!
wait_for 20 grep -q '"port":"[0-9]' "$PWD/d5.log" || fail "kedge run --config did not start"
URL=http://127.0.0.1:$(grep -o '"port":"[0-9]*' "$PWD/d5.log" | head -n 1 | cut -d'"' -f4)
export KEDGE_SERVER=$URL
wait_for 60 idle
printf 'services:\n  web:\n    image: [\n' >"$W/stacks/web/compose.yml"
push "web broken for notify"
run_kedge reconcile --wait
assert_rc 2
run_kedge reconcile --wait
assert_rc 2
wait_for 20 grep -q '"event":"failure"' "$PWD/recv.out" || fail "no failure notification"
write_stack web 2
push "web fixed for notify"
run_kedge reconcile --wait
assert_rc 0
wait_for 20 grep -q '"event":"recovery"' "$PWD/recv.out" || fail "no recovery notification"
assert_eq "$(grep -c '"event":"failure"' "$PWD/recv.out")" 1 "failure notifications (one, despite two failing reconciles and a 500 first)"
python3 -c '
import json, sys
for line in open(sys.argv[1]):
    json.loads(line)
' "$PWD/d5.log" || fail "a log line is not JSON"
printf 'repo: x\nintervall: 3m\n' >"$PWD/bad-run.yml"
"$KEDGE" run --config "$PWD/bad-run.yml" >"$PWD/bad.out" 2>"$PWD/bad.err"
assert_eq "$?" 2 "kedge run with a bad configuration file"
assert_file_contains "$PWD/bad.err" "bad-run.yml:2:"
stop_daemon
assert_eq "$?" 0 "exit after SIGTERM"
kill "$RECV_PID"

case_begin "clean up"
for s in web api slow gone; do docker_cli stack rm "$s" >/dev/null 2>&1; done
wait_for 60 sh -c '[ -z "$(docker service ls -q --filter label=kedge.managed-by=t-run)" ]' ||
	fail "services left behind"
