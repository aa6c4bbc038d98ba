#!/usr/bin/env bash
# bench/hostile.sh: the worst inputs a commit can hold under kedge's file
# caps (bench/hostile.py), each validated by `kedge validate --worktree`;
# prints one Markdown row per case with wall time, peak RSS, exit code and
# the first line kedge printed. The aim (issue 7): every case under 2 s and
# 100 MiB, with exit 0 or 2 and never a crash or a hang (a 60 s bound).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KEDGE=${KEDGE:-$ROOT/build/kedge}
WORK=$(mktemp -d /tmp/kedge-hostile.XXXXXX)
trap 'rm -rf "$WORK"' EXIT INT TERM HUP
python3 "$ROOT/bench/hostile.py" "$WORK"
echo "| case | wall (s) | peak RSS (MiB) | exit | first line |"
echo "|---|---:|---:|---:|---|"
for d in "$WORK"/*/; do
	name=$(basename "$d")
	rc=0
	/usr/bin/time -f '%e %M' -o "$WORK/time" timeout 60 "$KEDGE" validate \
		--worktree "$d" >"$WORK/out" 2>&1 || rc=$?
	read -r w m < <(tail -1 "$WORK/time") || true
	first=$(head -c 300 "$WORK/out" | head -1 | sed 's/|/\\|/g')
	printf '| %s | %s | %.1f | %s | %s |\n' "$name" "$w" "$(awk -v m="$m" 'BEGIN{print m/1024}')" "$rc" "$first"
done
