#!/usr/bin/env bash
# bench/mcp.sh: kedge mcp's scale_service, call to pushed commit, on a
# repository of 100 stacks against a private single-node swarm
# (tests/env/docker.sh), beside the same change made by hand (sed, git
# commit, git push). Prints bench/mcp.py's JSON line.
#
# Usage: bench/mcp.sh [STACKS] [CALLS]   (default 100 200)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KEDGE=${KEDGE:-$ROOT/build/kedge}
WORK=$(mktemp -d /tmp/kedge-bench-mcp.XXXXXX)
cleanup() {
	"$ROOT/tests/env/docker.sh" stop "$WORK/docker" >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM HUP
mkdir -p "$WORK/docker" "$WORK/run"
eval "$("$ROOT/tests/env/docker.sh" start "$WORK/docker")"
export DOCKER_HOST
python3 "$ROOT/bench/mcp.py" "$KEDGE" "$WORK/run" "${1:-100}" "${2:-200}"
