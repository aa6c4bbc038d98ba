#!/bin/bash
# tests/mcp/conformance.sh: the official MCP conformance suite
# (@modelcontextprotocol/conformance, pinned in tests/mcp/conformance) against
# kedge mcp --listen, at protocol version 2025-11-25.
#
#   KEDGE=build/kedge tests/mcp/conformance.sh [SCENARIO...]
#
# Starts, in a temporary directory removed on any exit: a throwaway
# desired-state repository (one stack) and its bare clone, a store with a
# write token, and kedge mcp --listen 127.0.0.1:0 on them (no Docker daemon:
# DOCKER_HOST points at a socket that does not exist). Then runs each
# scenario of RUN below in its own process of the suite, with the Node 22 of
# tests/mcp/conformance/node_modules, and prints ok/FAIL per scenario, n/a
# with the reason for each scenario of NA, and one summary line:
#
#   conformance: N passed, M failed, K not applicable (2025-11-25)
#
# A scenario passes when the suite reports no FAILURE check for it (WARNING
# and INFO checks are printed, not counted as failures). Exit status 1 when a
# scenario of RUN fails, or when the suite has a server scenario that is in
# neither RUN nor NA (a new suite version: decide, then list it); 2 when the
# setup fails (no Node 22 or suite: make conformance-deps).
#
# With SCENARIO arguments only those run (also ones from NA, to look at
# them); the exit status then reflects those alone.
#
# The suite's server mode has no option to send a header (its options:
# --url --scenario --suite --expected-failures -o --spec-version --force
# --requirements --timeout --verbose), and kedge wants a bearer token on
# every request; tests/mcp/conformance/bearer.mjs (node --import) adds it
# to every request to kedge's origin and paces the requests under kedge's
# rate limit per token. Knobs: KEDGE_CONF_TIMEOUT (seconds per scenario,
# default 120), KEDGE_CONF_KEEP=1 (keep the temporary directory and the
# suite's results).

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CONF=$HERE/conformance
NODE=$CONF/node_modules/.bin/node
SUITE=$CONF/node_modules/@modelcontextprotocol/conformance/dist/index.js
SPEC=2025-11-25
TIMEOUT=${KEDGE_CONF_TIMEOUT:-120}

KEDGE=${KEDGE:-$REPO/build/kedge}
case "$KEDGE" in /*) ;; *) KEDGE=$PWD/$KEDGE ;; esac

# Scenarios that apply to kedge at 2025-11-25: they need only what every
# server has (initialize, ping, sessions, the HTTP transport) or what kedge
# offers without fixtures (tools/list, resources/list, prompts/list).
RUN=(
	server-initialize
	server-session-lifecycle
	ping
	tools-list
	resources-list
	prompts-list
	server-sse-multiple-streams
	dns-rebinding-protection
)

# Every other server scenario of the suite, with the reason it does not
# apply. "fixture": the scenario calls a tool, resource or prompt of the
# suite's reference server by its fixed name (kedge has none of them, and
# answers with the spec's error for an unknown name).
NA=(
	"logging-set-level|kedge declares no logging capability (logging/setLevel: -32601)"
	"completion-complete|kedge declares no completions capability (completion/complete: -32601)"
	"tools-call-simple-text|fixture tool test_simple_text"
	"tools-call-image|fixture tool test_image_content"
	"tools-call-audio|fixture tool test_audio_content"
	"tools-call-embedded-resource|fixture tool test_embedded_resource"
	"tools-call-mixed-content|fixture tool test_multiple_content_types"
	"tools-call-with-logging|fixture tool test_tool_with_logging; needs logging/setLevel (no logging capability)"
	"tools-call-error|fixture tool test_error_handling"
	"tools-call-with-progress|fixture tool test_tool_with_progress"
	"tools-call-sampling|fixture tool test_sampling; kedge sends no sampling requests"
	"tools-call-elicitation|fixture tool test_elicitation; kedge does no elicitation over HTTP"
	"json-schema-2020-12|fixture tool json_schema_2020_12_tool"
	"elicitation-sep1034-defaults|fixture tool test_elicitation_sep1034_defaults; no elicitation over HTTP"
	"elicitation-sep1330-enums|fixture tool test_elicitation_sep1330_enums; no elicitation over HTTP"
	"server-sse-polling|fixture tool test_reconnection; kedge answers each POST with one JSON body and opens no SSE stream to poll (SEP-1699)"
	"resources-read-text|fixture resource test://static-text"
	"resources-read-binary|fixture resource test://static-binary"
	"resources-templates-read|fixture template test://template/{id}/data; kedge has no resource templates"
	"resources-subscribe|kedge declares resources.subscribe false (resources/subscribe: -32601)"
	"resources-unsubscribe|kedge declares resources.subscribe false (the scenario subscribes first: -32601)"
	"prompts-get-simple|fixture prompt test_simple_prompt"
	"prompts-get-with-args|fixture prompt test_prompt_with_arguments"
	"prompts-get-embedded-resource|fixture prompt test_prompt_with_embedded_resource"
	"prompts-get-with-image|fixture prompt test_prompt_with_image"
	# 2026-07-28 only: stateless wire (no initialize), which kedge does not speak
	"server-stateless|2026-07-28 only (stateless wire)"
	"sep-2164-resource-not-found|2026-07-28 only"
	"caching|2026-07-28 only (ttlMs/cacheScope)"
	"http-header-validation|2026-07-28 only (Mcp-Method/Mcp-Name headers)"
	"http-custom-header-server-validation|2026-07-28 only (Mcp-Param-* headers)"
	"input-required-result-basic-elicitation|2026-07-28 only (MRTR)"
	"input-required-result-basic-sampling|2026-07-28 only (MRTR)"
	"input-required-result-basic-list-roots|2026-07-28 only (MRTR)"
	"input-required-result-request-state|2026-07-28 only (MRTR)"
	"input-required-result-multiple-input-requests|2026-07-28 only (MRTR)"
	"input-required-result-multi-round|2026-07-28 only (MRTR)"
	"input-required-result-missing-input-response|2026-07-28 only (MRTR)"
	"input-required-result-non-tool-request|2026-07-28 only (MRTR)"
	"input-required-result-result-type|2026-07-28 only (MRTR)"
	"input-required-result-unsupported-methods|2026-07-28 only (MRTR)"
	"input-required-result-tampered-state|2026-07-28 only (MRTR)"
	"input-required-result-capability-check|2026-07-28 only (MRTR)"
	"input-required-result-ignore-extra-params|2026-07-28 only (MRTR)"
	"input-required-result-validate-input|2026-07-28 only (MRTR)"
	# extensions: optional by definition, and kedge implements none
	"sep-2640-skills-directory|extension (skills), not implemented"
	"sep-2640-skills-enumeration|extension (skills), not implemented"
	"sep-2640-skills-manifest|extension (skills), not implemented"
	"tasks-lifecycle|extension (tasks), not implemented"
	"tasks-capability-negotiation|extension (tasks), not implemented"
	"tasks-wire-fields|extension (tasks), not implemented"
	"tasks-request-state-removal|extension (tasks), not implemented"
	"tasks-mrtr-input|extension (tasks), not implemented"
	"tasks-request-headers|extension (tasks), not implemented"
	"tasks-dispatch-and-envelope|extension (tasks), not implemented"
	"tasks-status-notifications|extension (tasks), not implemented"
	"tasks-required-task-error|extension (tasks), not implemented"
	"tasks-mrtr-composition|extension (tasks), not implemented"
)

TMP=""
SRV=""
CHILD=""
cleanup() {
	if [ -n "$CHILD" ]; then
		kill -TERM "$CHILD" 2>/dev/null
		wait "$CHILD" 2>/dev/null
	fi
	CHILD=""
	if [ -n "$SRV" ] && kill -0 "$SRV" 2>/dev/null; then
		kill -TERM "$SRV" 2>/dev/null
		for _ in $(seq 50); do
			kill -0 "$SRV" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$SRV" 2>/dev/null
		wait "$SRV" 2>/dev/null
	fi
	SRV=""
	if [ -n "$TMP" ]; then
		if [ "${KEDGE_CONF_KEEP:-0}" = 1 ]; then
			echo "conformance: kept $TMP" >&2
		else
			rm -rf "$TMP"
		fi
	fi
	TMP=""
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

die() {
	echo "conformance: $*" >&2
	exit 2
}

[ -x "$KEDGE" ] || die "no kedge at $KEDGE (make build/kedge)"
if [ ! -x "$NODE" ] || [ ! -f "$SUITE" ]; then
	die "no Node 22 or suite in $CONF/node_modules (make conformance-deps)"
fi
case "$("$NODE" --version 2>/dev/null)" in
v22.*) ;;
*) die "$NODE is not Node 22 (make conformance-deps)" ;;
esac

TMP=$(mktemp -d "${TMPDIR:-/tmp}/kedge-conf.XXXXXX") || die "mktemp failed"
export HOME=$TMP/home
mkdir -p "$HOME"
unset DOCKER_CONTEXT DOCKER_CONFIG GIT_DIR GIT_WORK_TREE
export DOCKER_HOST=unix://$TMP/no-docker.sock

# the desired-state repository, its bare clone (--repo), the store, a token
# shellcheck disable=SC2016
timeout 60 bash -ec '
	mkdir "$1/r"
	cd "$1/r"
	git init -q -b main
	mkdir -p stacks/web
	printf "services:\n  web:\n    image: nginx:1.25\n" >stacks/web/compose.yml
	git add -A
	git -c user.name=t -c user.email=t@t commit -qm init
	git clone -q --bare "$1/r" "$1/r.git"
' _ "$TMP" >"$TMP/setup.log" 2>&1 ||
	die "repository setup failed: $(cat "$TMP/setup.log")"
TOKEN=$(timeout 30 "$KEDGE" token create --name conf --scope write \
	--state-dir "$TMP/state" 2>"$TMP/token.err" | tail -n 1)
case "$TOKEN" in
kedge_*) ;;
*) die "kedge token create failed: $(cat "$TMP/token.err")" ;;
esac

"$KEDGE" mcp --repo "$TMP/r.git" --ref main --state-dir "$TMP/state" \
	--listen 127.0.0.1:0 </dev/null >"$TMP/mcp.out" 2>"$TMP/mcp.err" &
SRV=$!
PORT=""
for _ in $(seq 100); do
	PORT=$(sed -n 's/^kedge mcp: serving MCP at .* port=\([0-9][0-9]*\).*/\1/p' \
		"$TMP/mcp.err" | head -n 1)
	[ -n "$PORT" ] && break
	kill -0 "$SRV" 2>/dev/null || break
	sleep 0.1
done
[ -n "$PORT" ] || die "kedge mcp did not start: $(cat "$TMP/mcp.err")"
URL=http://127.0.0.1:$PORT/mcp

export KEDGE_CONF_URL=$URL KEDGE_CONF_TOKEN=$TOKEN

# Every server scenario the suite has must be in RUN or NA.
declare -A NAWHY=()
for e in "${NA[@]}"; do NAWHY[${e%%|*}]=${e#*|}; done
declare -A INRUN=()
for s in "${RUN[@]}"; do INRUN[$s]=1; done
LISTED=$(timeout 60 "$NODE" "$SUITE" list --server 2>"$TMP/list.err" |
	sed -n 's/^  - \([^ ]*\).*/\1/p')
[ -n "$LISTED" ] || die "conformance list --server failed: $(cat "$TMP/list.err")"
unknown=0
for s in $LISTED; do
	if [ -z "${INRUN[$s]:-}" ] && [ -z "${NAWHY[$s]:-}" ]; then
		echo "UNCLASSIFIED $s: a scenario of the suite in neither RUN nor NA" \
			"of $0"
		unknown=$((unknown + 1))
	fi
done

# summary of one scenario's checks.json: "PASS|FAIL <n checks>" then one line
# per check that is not SUCCESS
summarize() {
	# shellcheck disable=SC2016
	"$NODE" -e '
const fs = require("fs");
let checks;
try { checks = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); }
catch (e) { console.log("FAIL 0"); console.log("  no results: " + e.message); process.exit(0); }
const bad = checks.filter((c) => c.status === "FAILURE");
console.log((bad.length || !checks.length ? "FAIL " : "PASS ") + checks.length);
for (const c of checks)
  if (c.status !== "SUCCESS")
    console.log(`  ${c.status} ${c.id}: ${(c.errorMessage ?? c.details?.message ?? c.description ?? "").toString().slice(0, 400)}`);
' "$1"
}

if [ $# -gt 0 ]; then
	RUN=("$@")
	unknown=0
fi

passed=0
failed=0
mkdir -p "$TMP/results"
for s in "${RUN[@]}"; do
	out=$TMP/results/$s
	mkdir -p "$out"
	# in the background, so that a signal to us is handled at once
	(cd "$TMP" && exec timeout "$TIMEOUT" "$NODE" --import "$CONF/bearer.mjs" \
		"$SUITE" server --url "$URL" --scenario "$s" --spec-version "$SPEC" \
		-o "$out" >"$out/stdout.txt" 2>"$out/stderr.txt") &
	CHILD=$!
	wait "$CHILD"
	rc=$?
	CHILD=""
	checks=$(find "$out" -mindepth 2 -maxdepth 2 -name checks.json | head -n 1)
	sum=$(summarize "${checks:-$out/none}")
	verdict=${sum%% *}
	verdict=${verdict%%$'\n'*}
	if [ "$rc" = 124 ]; then
		verdict=FAIL
		sum="$sum"$'\n'"  timed out after ${TIMEOUT}s"
	fi
	n=$(printf '%s\n' "$sum" | head -n 1 | cut -d' ' -f2)
	if [ "$verdict" = PASS ]; then
		passed=$((passed + 1))
		echo "ok   $s ($n checks)"
	else
		failed=$((failed + 1))
		echo "FAIL $s ($n checks, suite exit $rc)"
		[ -n "$checks" ] || sed -n '1,5s/^/  stdout: /p' "$out/stdout.txt"
		[ -s "$out/stderr.txt" ] && sed -n '1,5s/^/  stderr: /p' "$out/stderr.txt"
	fi
	printf '%s\n' "$sum" | tail -n +2
	kill -0 "$SRV" 2>/dev/null || {
		echo "FAIL kedge mcp exited during $s: $(tail -n 5 "$TMP/mcp.err")"
		failed=$((failed + 1))
		break
	}
done

declare -A RAN=()
for s in "${RUN[@]}"; do RAN[$s]=1; done
na=0
for e in "${NA[@]}"; do
	s=${e%%|*}
	[ -n "${RAN[$s]:-}" ] && continue
	echo "n/a  $s: ${e#*|}"
	na=$((na + 1))
done

echo "conformance: $passed passed, $failed failed, $na not applicable ($SPEC)"
[ "$failed" = 0 ] && [ "$unknown" = 0 ]
