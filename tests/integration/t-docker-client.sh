# needs: docker
#
# t-docker-client.sh: docker.c and live.c against the harness's real
# dockerd (API 1.41, swarm mode), through tests/integration/docker-probe.c,
# which this file compiles. Covers create/inspect/update/list/remove of a
# service, a network, a config and a secret, a stale update version
# (ERR_CONFLICT), 404s, live_read's fixed call count, an unreachable socket,
# and tcp:// with DOCKER_TLS_VERIFY against a TLS server that demands a
# client certificate (openssl s_server serving a canned /v1.41/info).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PROBE=$TMPDIR/docker-probe

# line STEP: the result printed for STEP by the last probe run.
line()
{
	printf '%s\n' "$PROBE_OUT" | sed -n "s/^$1: //p" | head -n 1
}

# probe ARGS...: run the probe under a time bound; sets PROBE_OUT, PROBE_RC.
probe()
{
	PROBE_OUT=$(timeout -k 5 120 "$PROBE" "$@" 2>"$TMPDIR/probe.err")
	PROBE_RC=$?
	echo "+ docker-probe $* -> rc=$PROBE_RC"
	printf '%s\n' "$PROBE_OUT" | sed 's/^/    /'
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$TMPDIR/probe.err"; then
		cat "$TMPDIR/probe.err"
		fail "docker-probe $*: sanitizer report"
	fi
}

case_begin "the docker probe builds with sanitizers"
(cd "$ROOT" && SAN=1 contrib/cc.sh "$PROBE" tests/integration/docker-probe.c \
	reconciler/docker.c reconciler/live.c reconciler/http.c \
	reconciler/util.c reconciler/buf.c reconciler/err.c reconciler/log.c) ||
	fail "cannot build tests/integration/docker-probe.c"

case_begin "the harness daemon is a swarm manager"
probe manager
assert_eq "$(line manager)" "ok" "docker_check_manager"

P=kp$$
case_begin "create, inspect, update, list and remove against dockerd"
probe scenario "$P" "$KEDGE_TEST_IMAGE"
assert_eq "$PROBE_RC" 0 "probe exit status"
for step in "network create" "config create" "secret create" \
	"service create" "config inspect" "network inspect" "service inspect" \
	"service update" "nodes list" "service remove" "config remove" \
	"secret remove" "network remove"; do
	assert_eq "$(line "$step")" ok "$step"
done
assert_eq "$(line "service id length")" 25 "service ID from create"
assert_eq "$(line "config data" | base64 -d)" "hello config" "config Data round trip"
assert_eq "$(line "network scope")" swarm "overlay network scope"
assert_eq "$(line "service label probe")" 2 "label after update"
assert_eq "$(line "services with label")" 1 "services listed by label"
assert_eq "$(line "running tasks")" 0 "tasks of a 0-replica service"
assert_eq "$(line "networks named")" 1 "networks listed by name"

case_begin "daemon errors map to codes and keep the daemon's message"
r=$(line "network create again")
[[ "$r" == "ERR_CONFLICT: network with name ${P}_net already exists"* ]] ||
	fail "duplicate network: $r"
r=$(line "service update stale")
[[ "$r" == "ERR_CONFLICT: "*"update out of sequence"* ]] ||
	fail "stale version: $r"
r=$(line "service inspect missing")
[[ "$r" == "ERR_NOTFOUND: service ${P}_nope not found"* ]] ||
	fail "missing service: $r"
assert_eq "$(line "service inspect removed" | cut -d: -f1)" ERR_NOTFOUND \
	"inspect after remove"
assert_eq "$(line "service remove again" | cut -d: -f1)" ERR_NOTFOUND \
	"remove twice"

case_begin "live_read: five list calls, exact lookups, ID to name"
assert_eq "$(line "live read")" ok "live_read"
assert_eq "$(line "live calls")" 5 "requests made by live_read"
assert_eq "$(line "live service found")" yes "service by name"
assert_eq "$(line "live service network")" "${P}_net" "network ID -> name"
assert_eq "$(line "live config")" "${P}_conf" "config name -> ID -> name"
assert_eq "$(line "live secret")" "${P}_key" "secret name -> ID -> name"
assert_eq "$(line "live network id known")" yes "network name -> ID"
assert_eq "$(line "live nodes")" 1 "nodes"

case_begin "nothing of the scenario is left behind"
left=$(docker_cli service ls -q --filter "name=${P}_"; docker_cli config ls -q --filter "name=${P}_";
	docker_cli secret ls -q --filter "name=${P}_"; docker_cli network ls -q --filter "name=${P}_")
assert_eq "$left" "" "objects named ${P}_*"

case_begin "an unreachable socket names the host"
PROBE_OUT=""
DOCKER_HOST=unix://$TMPDIR/nothing.sock probe manager
r=$(line manager)
[[ "$r" == "ERR_REMOTE: cannot connect to the Docker daemon at unix://$TMPDIR/nothing.sock: "* ]] ||
	fail "unreachable socket: $r"

# A CA, a server certificate for 127.0.0.1 and a client certificate.
make_certs()
{
	local d=$1
	mkdir -p "$d" && cd "$d" || return 1
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=kedge-test-ca \
		-keyout ca-key.pem -out ca.pem &&
		openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
			-keyout server-key.pem -out server.csr &&
		printf 'subjectAltName=IP:127.0.0.1\n' >server.ext &&
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem \
			-CAcreateserial -days 2 -extfile server.ext -out server.pem &&
		openssl req -newkey rsa:2048 -nodes -subj /CN=kedge-client \
			-keyout key.pem -out client.csr &&
		printf 'extendedKeyUsage=clientAuth\n' >client.ext &&
		openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem \
			-CAcreateserial -days 2 -extfile client.ext -out cert.pem
	local rc=$?
	cd - >/dev/null
	return $rc
}

case_begin "tcp:// with DOCKER_TLS_VERIFY uses the client certificate"
C=$TMPDIR/certs
W=$TMPDIR/www
make_certs "$C" >"$TMPDIR/certs.log" 2>&1 || fail "openssl could not make certificates"
mkdir -p "$W/v1.41"
echo '{"Swarm":{"LocalNodeState":"inactive","ControlAvailable":false}}' >"$W/v1.41/info"
SPORT=""
for try in 1 2 3; do
	port=$((20000 + RANDOM % 12000))
	(cd "$W" && exec timeout 60 openssl s_server -quiet -accept "127.0.0.1:$port" \
		-cert "$C/server.pem" -key "$C/server-key.pem" -CAfile "$C/ca.pem" \
		-Verify 1 -verify_return_error -WWW) >"$TMPDIR/s_server.log" 2>&1 &
	SPID=$!
	if wait_for 5 sh -c "ss -Htln | grep -q '127.0.0.1:$port '"; then
		SPORT=$port
		break
	fi
	kill "$SPID" 2>/dev/null
	wait "$SPID" 2>/dev/null
done
[ -n "$SPORT" ] || fail "openssl s_server did not start: $(cat "$TMPDIR/s_server.log")"
DOCKER_HOST=tcp://127.0.0.1:$SPORT DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$C probe manager
assert_eq "$(line manager)" \
	"ERR_UNSUPPORTED: 'tcp://127.0.0.1:$SPORT' is not a swarm manager (Swarm: inactive)" \
	"info over TLS with a client certificate"

case_begin "TLS: no client certificate or a wrong CA cannot connect"
mkdir -p "$TMPDIR/noclient" "$TMPDIR/wrongca"
cp "$C/ca.pem" "$TMPDIR/noclient/ca.pem"
# A client certificate the server's CA did not sign.
(cd "$TMPDIR/wrongca" && openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
	-subj /CN=other -keyout key.pem -out cert.pem && cp cert.pem ca.pem) \
	>>"$TMPDIR/certs.log" 2>&1
DOCKER_HOST=tcp://127.0.0.1:$SPORT DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$TMPDIR/wrongca probe manager
[[ "$(line manager)" == "ERR_REMOTE: cannot connect to the Docker daemon at tcp://127.0.0.1:$SPORT: "* ]] ||
	fail "wrong CA and client certificate: $(line manager)"
DOCKER_HOST=tcp://127.0.0.1:$SPORT DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$TMPDIR/noclient probe manager
[[ "$(line open)" == "ERR_INVALID: DOCKER_TLS_VERIFY is set but '$TMPDIR/noclient/cert.pem' cannot be read"* ]] ||
	fail "missing client certificate: $(line open)"
kill "$SPID" 2>/dev/null
wait "$SPID" 2>/dev/null
