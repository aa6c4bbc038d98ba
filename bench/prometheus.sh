#!/usr/bin/env bash
# bench/prometheus.sh: kedge's Prometheus rules part (issue 9), side by side
# with what a user would run instead, in one run on one machine, against a
# private Prometheus (tests/env/prometheus.sh) and a private single-node
# swarm (tests/env/docker.sh; the repository has no stacks/, but apply and
# diff still read the swarm). The repository is bench/gen-rules.py's:
# FILES files x GROUPS groups x RULES rules (default 20 x 10 x 10: 200
# groups, 2,000 rules). Each figure is the median of RUNS (GNU time):
#
#   kedge apply into an empty rules folder (wall, peak RSS)
#                        vs  promtool check rules of the same files in one
#                            process, then curl -X POST /-/reload
#   the reload alone: curl -X POST /-/reload of the same files into
#     Prometheus with no rules (curl's time_total), and GET /api/v1/rules
#   kedge apply of a change to one rule of one file
#   kedge diff with nothing changed
#   kedge validate (runs promtool on every rule file)
#
# Before each timed apply the script waits 1.1 s after the last reload:
# kedge starts a reload only in a later second than Prometheus' last one
# (lastConfigTime has whole seconds), and that wait is not what is measured.
# With strace installed, one more apply into an empty folder is traced to
# split its wall time into phases, and the promtool processes of each
# command are counted (strace -f -e execve).
#
# Usage: bench/prometheus.sh [FILES GROUPS RULES] (RUNS=5)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KEDGE=${KEDGE:-$ROOT/build/kedge}
FILES=${1:-20}
GROUPS_PER_FILE=${2:-10}
RULES=${3:-10}
RUNS=${RUNS:-5}
WORK=$(mktemp -d /tmp/kedge-bench-prom.XXXXXX)
cleanup() {
	"$ROOT/tests/env/prometheus.sh" stop "$WORK/prom" >/dev/null 2>&1 || true
	"$ROOT/tests/env/docker.sh" stop "$WORK/docker" >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM HUP
export GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@localhost
export GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@localhost
export KEDGE_STORE=$WORK/state.db
mkdir -p "$WORK/docker" "$WORK/prom"
eval "$("$ROOT/tests/env/docker.sh" start "$WORK/docker")"
export DOCKER_HOST
eval "$("$ROOT/tests/env/prometheus.sh" start "$WORK/prom")"
URL=$KEDGE_TEST_PROM_URL
RD=$KEDGE_TEST_PROM_RULES_DIR
P=(--prometheus-url "$URL" --prometheus-rules-dir "$RD")

R=$WORK/repo
mkdir -p "$R"
printf 'instance: bench\n' >"$R/kedge.yml"
python3 "$ROOT/bench/gen-rules.py" "$R" "$FILES" "$GROUPS_PER_FILE" "$RULES"
git -C "$R" init -q -b main
git -C "$R" add -A
git -C "$R" commit -qm rules

# measure WANT_RC CMD...: one run; prints "wall_s rss_mib" (GNU time) and
# stops the benchmark when CMD's exit status is not WANT_RC.
measure() {
	local want=$1 rc=0
	shift
	/usr/bin/time -f '%e %M' -o "$WORK/time" "$@" >"$WORK/cmd.out" 2>&1 </dev/null || rc=$?
	if [ "$rc" != "$want" ]; then
		echo "bench: '$*' exited $rc, expected $want:" >&2
		tail -20 "$WORK/cmd.out" >&2
		exit 1
	fi
	awk '{printf "%.2f %.1f", $1, $2/1024}' "$WORK/time"
}

reload() { curl -sf -o /dev/null -w '%{time_total}' --max-time 60 -X POST "$URL/-/reload"; }
groups_loaded() {
	curl -sf --max-time 30 "$URL/api/v1/rules" |
		python3 -c 'import json, sys; print(len(json.load(sys.stdin)["data"]["groups"]))'
}
# empty: no rules in the folder, Prometheus reloaded onto none, and 1.1 s
# so that the next reload may start at once
empty() {
	rm -f "$RD"/*.yml "$RD/.kedge-manifest.json"
	reload >/dev/null
	[ "$(groups_loaded)" = 0 ] || { echo "bench: Prometheus still has rules" >&2; exit 1; }
	sleep 1.1
}
ms() { awk -v s="$1" 'BEGIN {printf "%.0f", s * 1000}'; }

base_w=() base_m=() rl_ms=() get_ms=() first_w=() first_m=()
change_w=() change_m=() diff_w=() diff_m=() val_w=() val_m=()
for i in $(seq "$RUNS"); do
	# what a user runs instead: copy, check in one promtool, reload
	empty
	cp "$R"/alerts/*.yml "$RD/"
	# shellcheck disable=SC2016 # expanded by the inner bash
	read -r w m <<<"$(measure 0 bash -c 'promtool check rules "$@" >/dev/null && curl -sf -o /dev/null -X POST "$0/-/reload"' "$URL" "$RD"/*.yml)"
	base_w+=("$w") base_m+=("$m")
	# the reload alone, from no rules to these files
	empty
	cp "$R"/alerts/*.yml "$RD/"
	rl_ms+=("$(ms "$(reload)")")
	get_ms+=("$(ms "$(curl -sf -o /dev/null -w '%{time_total}' "$URL/api/v1/rules")")")
	[ "$(groups_loaded)" = $((FILES * GROUPS_PER_FILE)) ] || { echo "bench: the baseline did not load" >&2; exit 1; }

	empty
	read -r w m <<<"$(measure 0 "$KEDGE" apply --repo "$R" "${P[@]}")"
	first_w+=("$w") first_m+=("$m")
	[ "$(groups_loaded)" = $((FILES * GROUPS_PER_FILE)) ] || { echo "bench: kedge's apply did not load" >&2; exit 1; }

	python3 "$ROOT/bench/gen-rules.py" "$R" "$FILES" "$GROUPS_PER_FILE" "$RULES" "$i"
	git -C "$R" commit -qam "bump $i"
	[ "$(git -C "$R" diff --name-only HEAD~ | wc -l)" = 1 ] || { echo "bench: the change is not one file" >&2; exit 1; }
	sleep 1.1
	read -r w m <<<"$(measure 0 "$KEDGE" apply --repo "$R" "${P[@]}")"
	change_w+=("$w") change_m+=("$m")

	read -r w m <<<"$(measure 0 "$KEDGE" diff --repo "$R" "${P[@]}")"
	diff_w+=("$w") diff_m+=("$m")
	read -r w m <<<"$(measure 0 "$KEDGE" validate --repo "$R")"
	val_w+=("$w") val_m+=("$m")
done
one_w=()
for i in $(seq "$RUNS"); do
	read -r w m <<<"$(measure 0 promtool check rules "$R/alerts/rules-00.yml")"
	one_w+=("$w")
done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
m() { printf '%s\n' "$@" | median; }
ng=$((FILES * GROUPS_PER_FILE)) nr=$((FILES * GROUPS_PER_FILE * RULES))
echo "$FILES files, $ng groups, $nr rules; medians of $RUNS"
echo
echo "| command | wall (s) | peak RSS (MiB) |"
echo "|---|---:|---:|"
echo "| kedge apply, into an empty folder | $(m "${first_w[@]}") | $(m "${first_m[@]}") |"
echo "| instead: promtool check rules (all $FILES files, one process) + curl -X POST /-/reload | $(m "${base_w[@]}") | $(m "${base_m[@]}") |"
echo "| the reload alone: POST /-/reload, no rules -> these (curl time_total) | $(awk -v x="$(m "${rl_ms[@]}")" 'BEGIN {printf "%.2f", x / 1000}') | |"
echo "| GET /api/v1/rules after it (curl time_total) | $(awk -v x="$(m "${get_ms[@]}")" 'BEGIN {printf "%.2f", x / 1000}') | |"
echo "| kedge apply, one rule of one file changed | $(m "${change_w[@]}") | $(m "${change_m[@]}") |"
echo "| kedge diff, nothing changed | $(m "${diff_w[@]}") | $(m "${diff_m[@]}") |"
echo "| kedge validate | $(m "${val_w[@]}") | $(m "${val_m[@]}") |"
echo "| promtool check rules of one file | $(m "${one_w[@]}") | |"

command -v strace >/dev/null || exit 0
# promtool processes per command, and one traced apply split into phases
count() {
	strace -f -qq -e trace=execve -o "$WORK/trace" "$@" >/dev/null 2>&1 </dev/null || true
	grep -c 'execve("[^"]*promtool"' "$WORK/trace" || true
}
echo
echo "| command | promtool processes |"
echo "|---|---:|"
echo "| kedge validate | $(count "$KEDGE" validate --repo "$R") |"
echo "| kedge diff, nothing changed | $(count "$KEDGE" diff --repo "$R" "${P[@]}") |"
python3 "$ROOT/bench/gen-rules.py" "$R" "$FILES" "$GROUPS_PER_FILE" "$RULES" 100
git -C "$R" commit -qam "bump 100"
sleep 1.1
echo "| kedge apply, one rule of one file changed | $(count "$KEDGE" apply --repo "$R" "${P[@]}") |"
empty
echo "| kedge apply, into an empty folder | $(count "$KEDGE" apply --repo "$R" "${P[@]}") |"

# phases of one apply under strace (slower than untraced: read the shares)
empty
strace -f -qq -ttt -e trace=execve,connect,sendto,rename,exit_group -o "$WORK/trace" \
	"$KEDGE" apply --repo "$R" "${P[@]}" >/dev/null 2>&1 </dev/null
python3 - "$WORK/trace" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
kpid = lines[0].split()[0]
t0 = float(lines[0].split()[1])
def first(pat, after=0.0):
    for l in lines:
        f = l.split(None, 2)
        if f[0] == kpid and re.search(pat, f[2]) and float(f[1]) >= after:
            return float(f[1])
    raise SystemExit("bench: no %r in the trace" % pat)
end = float([l for l in lines if l.startswith(kpid + " ")][-1].split()[1])
docker = first(r'connect\(.*docker\.sock')
prom = first(r'connect\(\d+, \{sa_family=AF_INET')
swap = first(r'rename\(.*kedge-manifest')
before = first(r'GET /api/v1/status/runtimeinfo', swap)
post = first(r'POST /-/reload', swap)
after = first(r'GET /api/v1/status/runtimeinfo', post)
rules = first(r'GET /api/v1/rules', after)
total = end - t0
rows = [
    ("load and validate the repository (promtool per file)", docker - t0),
    ("the swarm part (GET /info, five lists, plan)", prom - docker),
    ("plan of the rules, stage them, promtool per file", swap - prom),
    ("swap the files in (rename)", before - swap),
    ("reload: POST /-/reload until lastConfigTime moved", rules - before),
    ("verify: GET /api/v1/rules, compare, exit", end - rules),
]
print()
print("| phase of one apply into an empty folder, under strace | ms | share |")
print("|---|---:|---:|")
for name, s in rows:
    print("| %s | %.0f | %.0f %% |" % (name, s * 1000, 100 * s / total))
print("| all | %.0f | |" % (total * 1000))
PY
