# needs:
#
# How the kedge binary behaves as a Unix command, whatever it is asked to
# do: a reader that closes the pipe early is an error kedge reports (not a
# SIGPIPE death), and the KEDGE_REPO/KEDGE_REF defaults give way to an
# explicit --worktree. Nothing here needs a service.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
Q=$ROOT/examples/quickstart

case_begin "a closed stdout is reported with exit 2, not killed by SIGPIPE"
# The reader exits before kedge writes; with SIGPIPE's default action the
# write kills kedge (status 141) before it can say anything.
for i in 1 2 3; do
	timeout -k 5 60 "$KEDGE" validate --worktree "$Q" --output json \
		2>"$KEDGE_IT_CASEDIR/err" | (exec 0<&-; true)
	rc=${PIPESTATUS[0]}
	[ "$rc" = 2 ] || fail "run $i: expected exit 2, got $rc"
	grep -q "cannot write to standard output" "$KEDGE_IT_CASEDIR/err" ||
		fail "run $i: no 'cannot write to standard output' on stderr"
done

case_begin "KEDGE_REPO and KEDGE_REF do not conflict with --worktree"
KEDGE_REPO=/nonexistent/desired KEDGE_REF=main run_kedge validate --worktree "$Q"
assert_rc 0
assert_err_not_contains "cannot be combined"

case_begin "--worktree with --repo or --ref on the command line is refused"
run_kedge validate --worktree "$Q" --repo "$Q"
assert_rc 2
assert_err_contains "error: --worktree reads a folder; it cannot be combined with --repo or --ref"
run_kedge validate --ref main --worktree "$Q"
assert_rc 2
assert_err_contains "cannot be combined with --repo or --ref"

case_begin "KEDGE_REPO is still the default without --worktree"
KEDGE_REPO=/nonexistent/desired run_kedge validate
assert_rc 2
assert_err_contains "/nonexistent/desired"

case_begin "the daemon-client commands list every flag in --help"
for spec in "status --server --api-token-file --timeout --output" \
	"history --server --api-token-file --timeout --output --stack --limit" \
	"reconcile --server --api-token-file --timeout --wait --wait-timeout" \
	"suspend --server --api-token-file --timeout" \
	"resume --server --api-token-file --timeout" \
	"approve --server --api-token-file --timeout --wait --wait-timeout"; do
	set -- $spec
	cmd=$1
	shift
	run_kedge "$cmd" --help
	assert_rc 0
	assert_out_contains "usage: kedge $cmd "
	for flag in "$@"; do
		assert_out_contains "    $flag "
	done
	run_kedge help "$cmd"
	assert_rc 0
	assert_out_contains "usage: kedge $cmd "
done

case_begin "a daemon-client command names the daemon it cannot reach"
# a port that nothing listens on: 1 is reserved (tcpmux) and unused here
KEDGE_SERVER=http://127.0.0.1:1 run_kedge status
assert_rc 2
assert_err_contains "error: cannot reach the kedge daemon at http://127.0.0.1:1: "
