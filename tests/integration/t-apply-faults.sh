# needs: docker
#
# Rare errors forced by a loopback stub in front of the real dockerd
# (faultproxy.py): a 500 in the middle of a plan stops the apply with exit
# 2, says exactly what was and was not applied, and a plain rerun against the
# real daemon converges.

export KEDGE_STORE=$PWD/state.db
R=$PWD/desired
make_desired_repo "$R"
for s in one two three; do
	mkdir -p "$R/stacks/f$s"
	printf 'services:\n  app:\n    image: busybox:latest\n    command: ["sleep", "3600"]\n    deploy: {replicas: 0}\n' >"$R/stacks/f$s/compose.yml"
done
commit_all "$R" "three stacks"

PROXY=$PWD/proxy.sock
python3 "$(dirname "${BASH_SOURCE[0]}")/faultproxy.py" "$PROXY" "${DOCKER_HOST#unix://}" POST '/services/create' 2 &
proxy_pid=$!
wait_for 10 test -S "$PROXY" || fail "the fault proxy did not start"

case_begin "a 500 in the middle of a plan: partial apply is reported, exit 2"
DOCKER_HOST=unix://$PROXY run_kedge apply --repo "$R" --timeout 30
assert_rc 2
# networks first, then services, each in stack name order: fone, fthree, ftwo
assert_err_contains "create service 'fthree_app': injected failure"
assert_err_contains "4 of 6 changes were applied before this failure; the rest were not made:"
assert_err_contains "    create service ftwo_app"
assert_err_not_contains "    create network"
[ -n "$(docker_cli service ls -q --filter name=fone_app)" ] || fail "fone_app (before the failure) was not created"
[ -z "$(docker_cli service ls -q --filter name=ftwo_app)" ] || fail "ftwo_app (after the failure) was created"
kill "$proxy_pid" 2>/dev/null
wait "$proxy_pid" 2>/dev/null

case_begin "the next apply against the real daemon converges"
run_kedge apply --repo "$R" --timeout 60
assert_rc 0
run_kedge diff --repo "$R"
assert_rc 0
assert_out_contains "No changes"

case_begin "an update that loses a race is read again and retried"
sed -i 's/replicas: 0/replicas: 1/' "$R/stacks/fone/compose.yml"
commit_all "$R" "fone: 1 replica"
rm -f "$PROXY"
python3 "$(dirname "${BASH_SOURCE[0]}")/faultproxy.py" "$PROXY" "${DOCKER_HOST#unix://}" POST '/services/.*/update' 1 \
	"rpc error: code = Unknown desc = update out of sequence" &
proxy_pid=$!
wait_for 10 test -S "$PROXY" || fail "the fault proxy did not start"
DOCKER_HOST=unix://$PROXY KEDGE_LOG_LEVEL=info run_kedge apply --repo "$R" --timeout 60
assert_rc 0
assert_err_contains "update out of sequence; reading again service=fone_app attempt=1"
assert_eq "$(docker_cli service ls --filter name=fone_app --format '{{.Replicas}}')" "1/1" "fone_app replicas"
kill "$proxy_pid" 2>/dev/null
wait "$proxy_pid" 2>/dev/null

case_begin "a services list that fails once while waiting does not abort the wait"
sed -i 's/replicas: 0/replicas: 1/' "$R/stacks/fthree/compose.yml"
commit_all "$R" "fthree: 1 replica"
rm -f "$PROXY"
# GET /services?status=true: the 1st is the live snapshot, the 2nd the first
# convergence poll, after every write was made.
python3 "$(dirname "${BASH_SOURCE[0]}")/faultproxy.py" "$PROXY" "${DOCKER_HOST#unix://}" GET '/services[?]' 2 &
proxy_pid=$!
wait_for 10 test -S "$PROXY" || fail "the fault proxy did not start"
DOCKER_HOST=unix://$PROXY run_kedge apply --repo "$R" --timeout 60
assert_rc 0
assert_err_contains "cannot list services, retrying: injected failure"
assert_err_not_contains "changes were applied before this failure"
assert_out_contains "Applied 1 change; the swarm matches"
assert_eq "$(docker_cli service ls --filter name=fthree_app --format '{{.Replicas}}')" "1/1" "fthree_app replicas"
kill "$proxy_pid" 2>/dev/null
wait "$proxy_pid" 2>/dev/null

case_begin "diff works without its store; apply does not"
KEDGE_STORE=/proc/nonexistent/state.db run_kedge diff --repo "$R"
assert_rc 0
assert_err_contains "warning: store '/proc/nonexistent/state.db'"
KEDGE_STORE=/proc/nonexistent/state.db run_kedge apply --repo "$R"
assert_rc 2
assert_err_contains "error: store '/proc/nonexistent/state.db'"

case_begin "an empty desired state removes everything only with --allow-empty"
rm -rf "$R/stacks"
mkdir -p "$R/alerts"
printf 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n' >"$R/alerts/a.yml"
commit_all "$R" "nothing left"
run_kedge apply --repo "$R" --yes --allow-empty --timeout 60
assert_rc 0
assert_out_contains "- remove service fone_app"
[ -z "$(docker_cli service ls -q --filter label=com.docker.stack.namespace=fone)" ] || fail "fone_app is still there"
[ -z "$(docker_cli network ls -q --filter label=com.docker.stack.namespace=ftwo)" ] || fail "ftwo_default is still there"
