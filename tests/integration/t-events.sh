# needs: docker
#
# t-events.sh: docker_events_follow() (docker.c over http_stream_lines in
# http.c) against real dockerds, through `docker-probe events`
# (tests/integration/docker-probe.c, compiled here with sanitizers):
# service create and scale on the harness's swarm produce service events
# named after the service; on a private dockerd started by this file (so
# the shared daemon is never killed), killing the daemon ends the follow
# with "closed the event stream" instead of a hang, and a follow after
# the restart sees events again.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PROBE=$TMPDIR/docker-probe-events
EV_PID=""

# follow_start LOG SECONDS [HOST]: docker-probe events in the background.
follow_start()
{
	DOCKER_HOST=${3:-$DOCKER_HOST} timeout -k 5 $(($2 + 30)) \
		"$PROBE" events "$2" >"$1" 2>"$1.err" &
	EV_PID=$!
	wait_for 10 grep -q '^following: yes' "$1" ||
		fail "the probe did not start following"
	# Let the request reach the daemon before anything happens.
	sleep 1
}

# follow_wait LOG SECONDS: wait for the background probe to end (bounded).
follow_wait()
{
	local end=$((SECONDS + $2))
	while kill -0 "$EV_PID" 2>/dev/null && [ "$SECONDS" -lt "$end" ]; do
		sleep 0.2
	done
	if kill -0 "$EV_PID" 2>/dev/null; then
		fail "the follow did not return within $2 s"
		kill "$EV_PID" 2>/dev/null
	fi
	wait "$EV_PID" 2>/dev/null
	EV_PID=""
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$1.err"; then
		cat "$1.err"
		fail "docker-probe events: sanitizer report"
	fi
	echo "+ probe output:"
	sed 's/^/    /' "$1"
}

case_begin "the docker probe builds with sanitizers"
(cd "$ROOT" && SAN=1 contrib/cc.sh "$PROBE" tests/integration/docker-probe.c \
	reconciler/docker.c reconciler/live.c reconciler/http.c \
	reconciler/util.c reconciler/buf.c reconciler/err.c reconciler/log.c) ||
	fail "cannot build tests/integration/docker-probe.c"

S=kev$$
case_begin "service create and scale produce service events with the name"
LOG=$TMPDIR/follow-swarm.log
follow_start "$LOG" 60
docker_cli service create -q --name "$S" --replicas 0 "$KEDGE_TEST_IMAGE" \
	sleep 3600 >/dev/null || fail "docker service create failed"
wait_for 20 grep -q "^event: service create $S\$" "$LOG" ||
	fail "no 'service create $S' event"
docker_cli service scale -d "$S=1" >/dev/null || fail "docker service scale failed"
wait_for 20 grep -q "^event: service update $S\$" "$LOG" ||
	fail "no 'service update $S' event after scale"
docker_cli service rm "$S" >/dev/null || fail "docker service rm failed"
wait_for 20 grep -q "^event: service remove $S\$" "$LOG" ||
	fail "no 'service remove $S' event"
# Task and container events are filtered out by the daemon.
if grep -qE '^event: (container|task|image) ' "$LOG"; then
	fail "events of a type outside the filter came through"
fi
# The probe cancels itself after 60 s; stop it sooner by killing it.
kill "$EV_PID" 2>/dev/null
wait "$EV_PID" 2>/dev/null
EV_PID=""

case_begin "cancel ends a follow while nothing happens"
LOG=$TMPDIR/follow-cancel.log
t0=$SECONDS
follow_start "$LOG" 3
follow_wait "$LOG" 20
assert_eq "$(sed -n 's/^follow: //p' "$LOG" | cut -d: -f1)" ERR_CANCELED \
	"follow result"
[ $((SECONDS - t0)) -le 15 ] || fail "cancel took $((SECONDS - t0)) s"

# A private daemon that this file may kill: no swarm, network events only.
D2=$TMPDIR/dk2
H2=unix://$D2/docker.sock
# shellcheck source=tests/env/docker.sh
DK_LIB=1 . "$ROOT/tests/env/docker.sh"
trap 'st=$?; dk_daemon_stop "$D2" >/dev/null 2>&1; (exit $st); lib_on_exit' EXIT

d2_cli()
{
	DOCKER_HOST=$H2 DOCKER_CONFIG=$D2/cli timeout -k 5 60 docker "$@"
}

case_begin "killing dockerd ends the follow with an error, not a hang"
(dk_daemon_start "$D2") || fail "cannot start a private dockerd in $D2"
LOG=$TMPDIR/follow-kill.log
follow_start "$LOG" 120 "$H2"
d2_cli network create "${S}_a" >/dev/null || fail "docker network create failed"
wait_for 20 grep -q "^event: network create ${S}_a\$" "$LOG" ||
	fail "no 'network create ${S}_a' event from the private daemon"
kill -9 "$(cat "$D2/docker.pid")" || fail "cannot kill the private dockerd"
follow_wait "$LOG" 20
assert_eq "$(sed -n 's/^follow: //p' "$LOG")" \
	"ERR_REMOTE: the Docker daemon at $H2 closed the event stream" \
	"follow result after kill -9"

case_begin "after dockerd restarts, a new follow sees events again"
dk_daemon_stop "$D2" >/dev/null 2>&1
(dk_daemon_start "$D2") || fail "cannot restart the private dockerd"
LOG=$TMPDIR/follow-restart.log
follow_start "$LOG" 60 "$H2"
d2_cli network create "${S}_b" >/dev/null || fail "docker network create failed"
wait_for 20 grep -q "^event: network create ${S}_b\$" "$LOG" ||
	fail "no 'network create ${S}_b' event after the restart"
# A clean stop of the daemon ends the stream too.
dk_daemon_stop "$D2" >/dev/null 2>&1
# Stopped for good: the exit trap must not act on stale pids.
rm -f "$D2/docker.pid" "$D2/launcher.pid"
follow_wait "$LOG" 40
assert_eq "$(sed -n 's/^follow: //p' "$LOG")" \
	"ERR_REMOTE: the Docker daemon at $H2 closed the event stream" \
	"follow result after a clean stop"

case_begin "following a daemon that is not there is an error at once"
LOG=$TMPDIR/follow-none.log
t0=$SECONDS
DOCKER_HOST=$H2 timeout -k 5 30 "$PROBE" events 60 >"$LOG" 2>&1
r=$(sed -n 's/^follow: //p' "$LOG")
[[ "$r" == "ERR_REMOTE: cannot connect to the Docker daemon at $H2: "* ]] ||
	fail "follow without a daemon: '$r'"
[ $((SECONDS - t0)) -le 15 ] || fail "took $((SECONDS - t0)) s"
