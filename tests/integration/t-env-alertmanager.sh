# needs: alertmanager
# t-env-alertmanager.sh: the harness's Alertmanager answers, reads
# KEDGE_TEST_AM_CONFIG, publishes the config hash kedge relies on (the
# first 6 bytes of md5(file) little-endian), and tests/env/alertmanager.sh
# starts a second instance on its own port without gossip and stops it
# leaving no process behind.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# am_hash URL: the alertmanager_config_hash the server publishes.
am_hash()
{
	curl -fsS --max-time 10 "$1/metrics" |
		awk '$1 == "alertmanager_config_hash" {printf "%.0f\n", $2}'
}

# file_hash FILE: what that metric must be for FILE's content.
file_hash()
{
	python3 -c 'import hashlib,sys
d = hashlib.md5(open(sys.argv[1], "rb").read()).digest()
print(int.from_bytes(d[:6], "little"))' "$1"
}

case_begin "/-/ready answers and the config file is the one loaded"
body=$(curl -fsS --max-time 10 "$KEDGE_TEST_AM_URL/-/ready") || fail "/-/ready failed"
[ -f "$KEDGE_TEST_AM_CONFIG" ] || fail "no config file at $KEDGE_TEST_AM_CONFIG"
status=$(curl -fsS --max-time 10 "$KEDGE_TEST_AM_URL/api/v2/status") ||
	fail "GET /api/v2/status failed"
[[ "$status" == *'receiver: default'* ]] || fail "status does not show the env's config: $status"

case_begin "alertmanager_config_hash is md5's first 6 bytes, little-endian"
h=$(am_hash "$KEDGE_TEST_AM_URL")
assert_eq "$h" "$(file_hash "$KEDGE_TEST_AM_CONFIG")" "hash of the loaded file"
cp "$KEDGE_TEST_AM_CONFIG" "$TMPDIR/am-keep.yml"
printf '# a comment changes the hash\n' >>"$KEDGE_TEST_AM_CONFIG"
curl -fsS --max-time 30 -X POST "$KEDGE_TEST_AM_URL/-/reload" || fail "POST /-/reload failed"
h2=$(am_hash "$KEDGE_TEST_AM_URL")
assert_eq "$h2" "$(file_hash "$KEDGE_TEST_AM_CONFIG")" "hash after a reload"
[ "$h" != "$h2" ] || fail "the hash did not change with the file"
cp "$TMPDIR/am-keep.yml" "$KEDGE_TEST_AM_CONFIG"
curl -fsS --max-time 30 -X POST "$KEDGE_TEST_AM_URL/-/reload" || fail "reload back failed"
assert_eq "$(am_hash "$KEDGE_TEST_AM_URL")" "$h" "hash back"

case_begin "a second instance starts on its own port, without gossip, and stops cleanly"
D=$TMPDIR/am2
mkdir -p "$D"
envs=$(timeout -k 5 120 "$ROOT/tests/env/alertmanager.sh" start "$D" 2>"$D.err") ||
	fail "start failed: $(cat "$D.err")"
echo "$envs"
url=$(printf '%s\n' "$envs" | sed -n 's/^export KEDGE_TEST_AM_URL=//p')
cfg=$(printf '%s\n' "$envs" | sed -n 's/^export KEDGE_TEST_AM_CONFIG=//p')
assert_eq "$cfg" "$D/alertmanager.yml" "config path"
[ -n "$url" ] && [ "$url" != "$KEDGE_TEST_AM_URL" ] || fail "URL '$url' is not a new one"
pid=$(cat "$D/alertmanager.pid")
curl -fsS --max-time 10 "$url/-/ready" >/dev/null || fail "second instance not ready"
tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "--storage.path=$D/data " ||
	fail "storage is not under $D/data: $(tr '\0' ' ' <"/proc/$pid/cmdline")"
listens=$(ss -Htlnp | grep -c "pid=$pid,")
assert_eq "$listens" 1 "TCP listeners of the second instance (web only, no gossip)"
timeout -k 5 60 "$ROOT/tests/env/alertmanager.sh" stop "$D" || fail "stop failed"
[ ! -d "/proc/$pid" ] || grep -q '^State:.*Z' "/proc/$pid/status" ||
	fail "pid $pid still runs after stop"
port=${url##*:}
[ -z "$(ss -Htln "( sport = :$port )")" ] || fail "port $port still listens"
timeout -k 5 60 "$ROOT/tests/env/alertmanager.sh" stop "$D" || fail "a second stop failed"
