#!/bin/bash
# tests/integration/run.sh: run the integration tests against real services.
#
# Owns: finding tests/integration/t-*.sh (optionally those whose name matches
# a glob), reading each file's `# needs: svc...` line, starting the union of
# needed services once through tests/env/<svc>.sh, running each file in its
# own bash with its own cwd, HOME and caches under a time bound, printing
# ok/FAIL per case and the summary, and stopping every service and removing
# every temporary file on any exit (failure, Ctrl-C, TERM, HUP).
# Does not own: the services (tests/env/*.sh) or the test vocabulary (lib.sh).
#
#   KEDGE=/path/to/kedge tests/integration/run.sh [NAME-GLOB]
#
# NAME-GLOB matches the file name with or without "t-" and ".sh", for example
# `env-*`, `t-env-docker` or `*apply*`. A service that cannot start fails the
# run (naming the service and the tests that needed it); it is never skipped.
#
# Knobs: KEDGE_IT_TIMEOUT (seconds per test file, default 300),
# KEDGE_IT_KEEP=1 (keep the temporary root for a post-mortem; services are
# still stopped).

set -u
IT_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IT_REPO=$(cd "$IT_HERE/../.." && pwd)
IT_ENV=$IT_REPO/tests/env
IT_TIMEOUT=${KEDGE_IT_TIMEOUT:-300}
IT_GLOB=${1:-*}

KEDGE=${KEDGE:-$IT_REPO/build/kedge}
case "$KEDGE" in /*) ;; *) KEDGE=$PWD/$KEDGE ;; esac
export KEDGE

# A developer's own settings must not leak into tests or services.
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_CONFIG PGHOST PGPORT PGUSER \
	PGDATABASE PGSERVICE GIT_DIR GIT_WORK_TREE

IT_ROOT=""
IT_STARTED=()   # services whose start was attempted (stop them all)
IT_CHILD=""     # pid of the background job under way
IT_CLEANED=0

it_say()
{
	printf 'integration: %s\n' "$*"
}

it_cleanup()
{
	local i svc
	[ "$IT_CLEANED" = 1 ] && return
	IT_CLEANED=1
	# A second Ctrl-C must not cut the cleanup short: every stop below is
	# bounded, so ignoring signals here cannot hang the run for long.
	trap '' INT TERM HUP
	[ ${#IT_STARTED[@]} -gt 0 ] && it_say "stopping ${IT_STARTED[*]}"
	if [ -n "$IT_CHILD" ] && kill -0 "$IT_CHILD" 2>/dev/null; then
		kill -TERM "$IT_CHILD" 2>/dev/null
		wait "$IT_CHILD" 2>/dev/null
	fi
	for ((i = ${#IT_STARTED[@]} - 1; i >= 0; i--)); do
		svc=${IT_STARTED[$i]}
		timeout -k 10 120 "$IT_ENV/$svc.sh" stop "$IT_ROOT/svc/$svc" \
			</dev/null >/dev/null 2>>"$IT_ROOT/stop.err" ||
			it_say "stopping $svc failed: $(tail -n 5 "$IT_ROOT/stop.err")"
	done
	[ -n "$IT_ROOT" ] && [ -d "$IT_ROOT" ] || return
	# Belt and braces: no daemon a test file started itself (its own
	# Prometheus, Alertmanager or dockerd) outlives the run, even when
	# the file was killed, and nothing stays mounted under the root.
	(. "$IT_ENV/common.sh" && { ENV_SVC=run env_sweep_procs "$IT_ROOT";
		env_umount_under "$IT_ROOT"; })
	if [ "${KEDGE_IT_KEEP:-0}" = 1 ]; then
		it_say "kept $IT_ROOT"
	else
		rm -rf "$IT_ROOT" 2>/dev/null ||
			it_say "could not remove all of $IT_ROOT"
	fi
}

it_signal()
{
	it_say "interrupted ($1)"
	trap - EXIT
	it_cleanup
	exit "$2"
}

trap it_cleanup EXIT
trap 'it_signal INT 130' INT
trap 'it_signal TERM 143' TERM
trap 'it_signal HUP 129' HUP

# it_needs FILE: print the services named on the file's `# needs:` line;
# fails when there is no such line among the first five.
it_needs()
{
	local line
	line=$(head -n 5 "$1" | grep -m 1 '^# needs:') || return 1
	echo "${line#\# needs:}" | tr -s ' \t' '\n\n' | sed '/^$/d'
}

# it_wait_child: wait for IT_CHILD in a way that lets traps run at once.
it_wait_child()
{
	local rc
	wait "$IT_CHILD"
	rc=$?
	IT_CHILD=""
	return "$rc"
}

# it_start SVC: start one service; 0 on success, its env in svc/SVC.env.
it_start()
{
	local svc=$1 dir=$IT_ROOT/svc/$1 bad rc
	IT_STARTED+=("$svc")
	mkdir -p "$dir"
	timeout -k 10 180 "$IT_ENV/$svc.sh" start "$dir" </dev/null \
		>"$IT_ROOT/svc/$svc.env" 2>"$IT_ROOT/svc/$svc.err" &
	IT_CHILD=$!
	it_wait_child
	rc=$?
	if [ "$rc" -eq 0 ]; then
		bad=$(grep -vE "^export [A-Za-z_][A-Za-z0-9_]*=" "$IT_ROOT/svc/$svc.env")
		if [ -n "$bad" ]; then
			echo "tests/env/$svc.sh printed lines other than 'export NAME=value':" \
				>>"$IT_ROOT/svc/$svc.err"
			echo "$bad" >>"$IT_ROOT/svc/$svc.err"
			rc=1
		fi
	fi
	[ "$rc" -eq 124 ] && echo "start timed out after 180 s" >>"$IT_ROOT/svc/$svc.err"
	return "$rc"
}

# it_run_file FILE NAME NEEDS...: run one test file in its own bash.
it_run_file()
{
	local file=$1 name=$2 d=$IT_ROOT/tests/$2 rc svc before after
	shift 2
	mkdir -p "$d/work" "$d/home" "$d/cache" "$d/cases" "$d/tmp"
	: >"$d/envs"
	for svc in "$@"; do
		cat "$IT_ROOT/svc/$svc.env" >>"$d/envs"
	done
	before=$(grep -c . "$IT_ROOT/results")
	(
		cd "$d/work" || exit 1
		HOME=$d/home XDG_CACHE_HOME=$d/cache XDG_CONFIG_HOME=$d/home/.config \
			GIT_CONFIG_NOSYSTEM=1 TMPDIR=$d/tmp \
			KEDGE_IT_FILE=$name KEDGE_IT_RESULTS=$IT_ROOT/results \
			KEDGE_IT_CASEDIR=$d/cases KEDGE_IT_ENVS=$d/envs \
			KEDGE_IT_TEST=$file KEDGE_IT_LIB=$IT_HERE/lib.sh \
			exec timeout -k 10 "$IT_TIMEOUT" bash -c '
				set -u
				. "$KEDGE_IT_ENVS"
				. "$KEDGE_IT_LIB"
				. "$KEDGE_IT_TEST"
				lib_finish' </dev/null >"$d/file.log" 2>&1
	) 3>&1 &
	IT_CHILD=$!
	it_wait_child
	rc=$?
	after=$(grep -c . "$IT_ROOT/results")
	local why="exit status $rc"
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		why="timed out after ${IT_TIMEOUT}s"
		# The case under way has recorded it already, unless killed.
		[ "$before" = "$after" ] || echo "     ($name: $why)"
	fi
	if [ "$before" = "$after" ]; then
		printf 'FAIL\t%s\t%s\n' "$name" "(no result: $why)" >>"$IT_ROOT/results"
		echo "FAIL $name: recorded no result ($why)"
	fi
	if [ -s "$d/file.log" ] && grep -q "^FAIL	$name	" "$IT_ROOT/results"; then
		echo "    output outside cases:"
		tail -n 50 "$d/file.log" | sed 's/^/    | /'
	fi
}

it_main()
{
	local f name short needs svc all=() files=() names=() failed=()
	local -A need_of=() users=() ok=()
	for f in "$IT_HERE"/t-*.sh; do
		[ -f "$f" ] || continue
		name=$(basename "$f" .sh)
		short=${name#t-}
		# shellcheck disable=SC2053
		[[ $name == $IT_GLOB || $short == $IT_GLOB || "$name.sh" == $IT_GLOB ]] ||
			continue
		files+=("$f")
		names+=("$name")
	done
	if [ ${#files[@]} -eq 0 ]; then
		it_say "no test matches '$IT_GLOB' in $IT_HERE"
		exit 2
	fi
	IT_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/kedge-it.XXXXXX") || exit 1
	mkdir -p "$IT_ROOT/svc" "$IT_ROOT/tests"
	: >"$IT_ROOT/results"
	for i in "${!files[@]}"; do
		f=${files[$i]} name=${names[$i]}
		if ! needs=$(it_needs "$f"); then
			need_of[$name]="!"
			continue
		fi
		need_of[$name]=$(echo $needs)
		for svc in $needs; do
			users[$svc]="${users[$svc]:-}${users[$svc]:+, }$name"
			case " ${all[*]} " in *" $svc "*) ;; *) all+=("$svc") ;; esac
		done
	done
	for svc in "${all[@]}"; do
		if [ ! -x "$IT_ENV/$svc.sh" ]; then
			it_say "FAIL: unknown service '$svc' (no executable tests/env/$svc.sh), needed by ${users[$svc]}"
			failed+=("$svc")
			continue
		fi
		it_say "starting $svc (for ${users[$svc]})"
		if it_start "$svc"; then
			ok[$svc]=1
		else
			it_say "FAIL: service '$svc' did not start; needed by ${users[$svc]}"
			sed 's/^/    | /' "$IT_ROOT/svc/$svc.err"
			failed+=("$svc")
		fi
	done
	for i in "${!files[@]}"; do
		f=${files[$i]} name=${names[$i]}
		if [ "${need_of[$name]}" = "!" ]; then
			printf 'FAIL\t%s\t%s\n' "$name" "(no '# needs:' line)" >>"$IT_ROOT/results"
			echo "FAIL $name: no '# needs: ...' line among its first 5 lines"
			continue
		fi
		local missing=""
		for svc in ${need_of[$name]}; do
			[ -n "${ok[$svc]:-}" ] || missing="$missing $svc"
		done
		if [ -n "$missing" ]; then
			printf 'FAIL\t%s\t%s\n' "$name" "(service did not start:$missing)" >>"$IT_ROOT/results"
			echo "FAIL $name: not run, service did not start:$missing"
			continue
		fi
		# shellcheck disable=SC2086
		it_run_file "$f" "$name" ${need_of[$name]}
	done
	local n m
	n=$(grep -c . "$IT_ROOT/results")
	m=$(grep -c '^FAIL' "$IT_ROOT/results")
	it_say "$n cases, $m failed"
	[ "$m" -eq 0 ] && [ ${#failed[@]} -eq 0 ]
}

it_main
