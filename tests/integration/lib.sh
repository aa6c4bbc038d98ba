# tests/integration/lib.sh: what an integration test file can call.
#
# Owns: cases (case_begin), running kedge under a time bound (run_kedge),
# assertions, and small helpers (docker_cli, wait_for, make_desired_repo,
# commit_all). Does not own: services (tests/env/*.sh) or finding, scheduling
# and summarising test files (run.sh).
#
# run.sh sources this file into a fresh `bash` (with `set -u`) per test file,
# then sources the test file, then calls lib_finish. Each case's output goes
# to its own log; the case's result line ("ok"/"FAIL") goes to fd 3, the
# runner's terminal, followed by that log when the case failed.
#
# Failures do not stop a case: `fail` and every assert_* record the failure
# and return 1, and the case goes on, so one run shows every broken
# expectation. A test that must not go on after a failure writes
# `assert_rc 0 || return` inside a function, or guards with `case_failed`.
#
# Environment from run.sh: KEDGE, KEDGE_IT_FILE (test name),
# KEDGE_IT_RESULTS (results file), KEDGE_IT_CASEDIR (case logs).

LIB_CASE=""      # name of the current case, "" before the first
LIB_CASE_FAILS=0 # failures recorded in the current case
LIB_CASE_NO=0    # cases begun in this file
LIB_DONE=0       # 1 once lib_finish ran
LIB_KEDGE_TIMEOUT=${KEDGE_IT_KEDGE_TIMEOUT:-120}

# Where the first failure of a case was recorded: "file:line".
lib_where()
{
	local i
	for ((i = 1; i < ${#BASH_SOURCE[@]}; i++)); do
		case "${BASH_SOURCE[$i]}" in
		*/lib.sh) continue ;;
		esac
		echo "${BASH_SOURCE[$i]##*/}:${BASH_LINENO[$((i - 1))]}"
		return
	done
	echo "?"
}

# lib_case_end: close the current case: result line to the runner.
lib_case_end()
{
	local name=$LIB_CASE log=$KEDGE_IT_CASEDIR/case-$LIB_CASE_NO.log
	[ -n "$name" ] || return 0
	LIB_CASE=""
	if [ "$LIB_CASE_FAILS" -eq 0 ]; then
		printf 'ok\t%s\t%s\n' "$KEDGE_IT_FILE" "$name" >>"$KEDGE_IT_RESULTS"
		printf 'ok   %s: %s\n' "$KEDGE_IT_FILE" "$name" >&3
	else
		printf 'FAIL\t%s\t%s\n' "$KEDGE_IT_FILE" "$name" >>"$KEDGE_IT_RESULTS"
		{
			printf 'FAIL %s: %s (%d failure(s))\n' "$KEDGE_IT_FILE" \
				"$name" "$LIB_CASE_FAILS"
			sed -e 's/^/    | /' "$log" 2>/dev/null | tail -n 200
		} >&3
	fi
}

# case_begin NAME: end the previous case and start a new one.
case_begin()
{
	lib_case_end
	LIB_CASE_NO=$((LIB_CASE_NO + 1))
	LIB_CASE=$1
	LIB_CASE_FAILS=0
	exec >"$KEDGE_IT_CASEDIR/case-$LIB_CASE_NO.log" 2>&1
	echo "=== case: $1"
}

# case_failed: true when the current case has recorded a failure.
case_failed()
{
	[ "$LIB_CASE_FAILS" -gt 0 ]
}

# fail MSG: record a failure of the current case (the case goes on).
fail()
{
	if [ -z "$LIB_CASE" ]; then
		case_begin "(outside any case)"
	fi
	LIB_CASE_FAILS=$((LIB_CASE_FAILS + 1))
	echo "FAIL at $(lib_where): $*"
	return 1
}

# lib_show NAME TEXT: print TEXT in the case log, shortened.
lib_show()
{
	local n=${#2}
	[ "$n" -eq 0 ] && return
	echo "  $1 (${n} bytes):"
	if [ "$n" -gt 6000 ]; then
		printf '%s\n' "${2:0:6000}" | sed 's/^/    /'
		echo "    ... (shortened)"
	else
		printf '%s\n' "$2" | sed 's/^/    /'
	fi
}

# run_kedge ARGS...: run "$KEDGE" ARGS under a bound of 120 s. Sets RC, OUT
# and ERR. Sanitizer reports on stderr fail the case by themselves; so does
# the bound (RC 124).
run_kedge()
{
	local o=$KEDGE_IT_CASEDIR/kedge.out e=$KEDGE_IT_CASEDIR/kedge.err
	if [ ! -x "${KEDGE:-}" ]; then
		RC=127 OUT="" ERR="KEDGE='${KEDGE:-}' is not an executable"
		fail "run_kedge: $ERR (build it: make, or set KEDGE=)"
		return 1
	fi
	timeout -k 5 "$LIB_KEDGE_TIMEOUT" "$KEDGE" "$@" >"$o" 2>"$e"
	RC=$?
	OUT=$(cat "$o")
	ERR=$(cat "$e")
	echo "+ kedge $* -> rc=$RC"
	lib_show stdout "$OUT"
	lib_show stderr "$ERR"
	if [ "$RC" -eq 124 ] || [ "$RC" -eq 137 ]; then
		fail "kedge $* did not finish within ${LIB_KEDGE_TIMEOUT}s"
	fi
	case "$ERR" in
	*"ERROR: AddressSanitizer"* | *"ERROR: LeakSanitizer"* | *"runtime error:"*)
		fail "kedge $*: sanitizer report on stderr"
		;;
	esac
	return 0
}

# assert_no_sanitizer_report FILE: a daemon's log has no ASan, LSan or
# UBSan report (they are printed at exit, so call it after the process ended).
assert_no_sanitizer_report()
{
	if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$1"; then
		fail "sanitizer report in $1:"
		grep -E -A20 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$1" | head -40 | sed 's/^/    | /'
	fi
}

assert_rc()
{
	[ "${RC:-}" = "$1" ] || fail "expected exit code $1, got ${RC:-unset}"
}

assert_out_contains()
{
	[[ "${OUT:-}" == *"$1"* ]] || fail "stdout does not contain '$1'"
}

assert_out_not_contains()
{
	[[ "${OUT:-}" != *"$1"* ]] || fail "stdout contains '$1'"
}

assert_err_contains()
{
	[[ "${ERR:-}" == *"$1"* ]] || fail "stderr does not contain '$1'"
}

assert_err_not_contains()
{
	[[ "${ERR:-}" != *"$1"* ]] || fail "stderr contains '$1'"
}

# assert_eq ACTUAL EXPECTED MSG
assert_eq()
{
	[ "$1" = "$2" ] || fail "${3:-values differ}: got '$1', expected '$2'"
}

# assert_file_contains FILE S
assert_file_contains()
{
	if [ ! -f "$1" ]; then
		fail "file '$1' does not exist"
	elif ! grep -qF -- "$2" "$1"; then
		fail "file '$1' does not contain '$2'"
	fi
}

# wait_for SECONDS CMD...: retry CMD every 0.5 s until it succeeds or SECONDS
# pass; returns CMD's last status (does not fail the case by itself).
wait_for()
{
	local end=$((SECONDS + $1))
	shift
	while :; do
		"$@" && return 0
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.5
	done
}

# docker_cli ARGS...: the docker CLI against the test daemon ($DOCKER_HOST),
# never the system's socket.
docker_cli()
{
	if [ -z "${DOCKER_HOST:-}" ]; then
		fail "docker_cli: DOCKER_HOST is not set (add 'docker' to '# needs:')"
		return 1
	fi
	timeout -k 5 120 docker "$@"
}

# make_desired_repo DIR: a fresh git repository on branch main with a user.
make_desired_repo()
{
	mkdir -p "$1" &&
		git -C "$1" init -q -b main &&
		git -C "$1" config user.name "kedge test" &&
		git -C "$1" config user.email "test@kedge.invalid" &&
		git -C "$1" config commit.gpgsign false ||
		fail "make_desired_repo $1 failed"
}

# commit_all DIR MSG: stage everything in DIR and commit it.
commit_all()
{
	git -C "$1" add -A &&
		git -C "$1" commit -q --allow-empty -m "$2" ||
		fail "commit_all $1 failed"
}

# lib_finish: called by run.sh after the test file ran to its end.
lib_finish()
{
	lib_case_end
	if [ "$LIB_CASE_NO" -eq 0 ]; then
		printf 'FAIL\t%s\t%s\n' "$KEDGE_IT_FILE" "(no cases)" >>"$KEDGE_IT_RESULTS"
		printf 'FAIL %s: the file began no case\n' "$KEDGE_IT_FILE" >&3
	fi
	LIB_DONE=1
}

# On an early exit (set -u error, exit in a test, the runner's timeout),
# the case under way fails with the reason.
lib_on_exit()
{
	local st=$?
	[ "$LIB_DONE" = 1 ] && return
	if [ -z "$LIB_CASE" ]; then
		case_begin "(file did not run to its end)"
	fi
	fail "test file stopped early (exit status $st${LIB_SIGNAL:+, $LIB_SIGNAL})"
	lib_case_end
	LIB_DONE=1
}
trap lib_on_exit EXIT
trap 'LIB_SIGNAL="timed out / terminated"; exit 143' TERM
trap 'LIB_SIGNAL=interrupted; exit 130' INT HUP
