# needs: alertmanager
#
# t-alertmanager.sh: alertmanager.h against a real Alertmanager 0.25,
# through tests/integration/am-probe.c (compiled here with sanitizers):
# a route change is written, loaded and proven by the config hash; a
# config amtool refuses changes nothing on disk or in the server; a value
# from the env file never appears in any output; an unknown ${NAME} is
# located; a hand-edited file and a config loaded from elsewhere are
# differences; an Alertmanager that is down is a clear error and the
# previous file is back. Cases that stop the server use a private one
# (tests/env/alertmanager.sh), never the shared one.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
W=$(mktemp -d "$PWD/am.XXXXXX")
PROBE=$W/am-probe
SECRET=sup3r-s3cret-$$-token
SECRET2=r0tated-s3cret-$$-token
printf 'HOOK_URL=http://127.0.0.1:9/hook/%s\nPD_KEY=%s\n' "$SECRET" "$SECRET" >"$W/am.env"

# probe VERB DIR URL CONFIG [ENV]: run the probe; sets OUT, ERR, RC and
# fails the case when a secret or a sanitizer report shows up.
probe()
{
	timeout -k 5 120 "$PROBE" "$@" >"$W/out" 2>"$W/err"
	RC=$?
	OUT=$(cat "$W/out")
	ERR=$(cat "$W/err")
	echo "+ am-probe $* -> rc=$RC"
	lib_show stdout "$OUT"
	lib_show stderr "$ERR"
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$W/err"; then
		fail "am-probe $*: sanitizer report"
	fi
	if grep -qF -e "$SECRET" -e "$SECRET2" "$W/out" "$W/err"; then
		fail "am-probe $*: a value from the env file is in the output"
	fi
}

am_hash()
{
	curl -fsS --max-time 10 "$1/metrics" |
		awk '$1 == "alertmanager_config_hash" {printf "%.0f\n", $2}'
}

file_hash()
{
	python3 -c 'import hashlib,sys
d = hashlib.md5(open(sys.argv[1], "rb").read()).digest()
print(int.from_bytes(d[:6], "little"))' "$1"
}

# repo RECEIVER [GROUP_WAIT]: the desired state in $W/repo.
repo()
{
	mkdir -p "$W/repo/alertmanager/templates"
	cat >"$W/repo/alertmanager/alertmanager.yml" <<YAML
route:
  receiver: $1
  group_wait: ${2:-30s}
  routes:
    - receiver: default
      matchers: ['severity="info"']
receivers:
  - name: default
  - name: pager
    pagerduty_configs:
      - routing_key: \${PD_KEY}
  - name: hook
    webhook_configs:
      - url: \${HOOK_URL}
templates:
  - templates/*.tmpl
YAML
	printf '{{ define "kedge.title" }}[%s] {{ .Status }}{{ end }}\n' "$1" \
		>"$W/repo/alertmanager/templates/kedge.tmpl"
}

stage_left()
{
	ls -a "$(dirname "$1")" | grep -q '^\.kedge-am-'
}

URL=$KEDGE_TEST_AM_URL
CFG=$KEDGE_TEST_AM_CONFIG

case_begin "the probe builds with sanitizers"
(cd "$ROOT" && SAN=1 contrib/cc.sh "$PROBE" tests/integration/am-probe.c \
	$(ls reconciler/*.c | grep -v '/main\.c$')) ||
	fail "cannot build tests/integration/am-probe.c"

case_begin "a route change shows structurally, then is loaded and proven by hash"
repo pager
probe diff "$W/repo" "$URL" "$CFG" "$W/am.env"
assert_eq "$RC" 1 "diff exit status"
assert_out_contains "~ alertmanager route: receiver: default -> pager"
assert_out_contains "+ alertmanager route/routes/0 (receiver: default)"
assert_out_contains "+ alertmanager receiver pager"
assert_out_contains "+ alertmanager receiver hook"
assert_out_contains "+ alertmanager template kedge.tmpl"
assert_out_contains '{"change":"route: receiver: default -> pager","op":"~"}'
probe apply "$W/repo" "$URL" "$CFG" "$W/am.env"
assert_eq "$RC" 0 "apply exit status"
assert_out_contains "applied"
assert_eq "$(am_hash "$URL")" "$(file_hash "$CFG")" "loaded hash = md5 of the file"
assert_file_contains "$CFG" "receiver: pager"
assert_file_contains "$CFG" "routing_key: $SECRET"
assert_file_contains "$(dirname "$CFG")/templates/kedge.tmpl" "[pager]"
status=$(curl -fsS --max-time 10 "$URL/api/v2/status")
[[ "$status" == *'receiver: pager'* ]] || fail "/api/v2/status does not show the new route"
stage_left "$CFG" && fail "a staging folder was left next to the config"
probe diff "$W/repo" "$URL" "$CFG" "$W/am.env"
assert_eq "$RC" 0 "diff right after the apply"
assert_eq "$OUT" 'json: {"changes":[],"config_file":"'"$CFG"'","drift":false}' "empty plan"

case_begin "a config amtool refuses changes nothing on disk or in the server"
cp "$CFG" "$W/before.yml"
h=$(am_hash "$URL")
repo nowhere
probe apply "$W/repo" "$URL" "$CFG" "$W/am.env"
assert_eq "$RC" 2 "apply exit status"
assert_err_contains 'alertmanager/alertmanager.yml:2:13: amtool check-config refused it: undefined receiver "nowhere" used in route'
cmp -s "$W/before.yml" "$CFG" || fail "the config file changed"
assert_file_contains "$(dirname "$CFG")/templates/kedge.tmpl" "[pager]"
assert_eq "$(am_hash "$URL")" "$h" "loaded hash unchanged"
stage_left "$CFG" && fail "a staging folder was left next to the config"
probe verify "$W/repo" "$URL" "$CFG"
assert_eq "$RC" 3 "verify exit status"
assert_err_contains 'alertmanager/alertmanager.yml:2:13: amtool: undefined receiver "nowhere" used in route'

case_begin "kedge validate checks alertmanager/ with amtool, placeholders for \${NAME}"
mkdir -p "$W/v/stacks" "$W/v/alertmanager"
cp "$W/repo/alertmanager/alertmanager.yml" "$W/v/alertmanager/"
run_kedge validate --worktree "$W/v"
assert_rc 2
assert_err_contains 'alertmanager/alertmanager.yml:2:13: amtool: undefined receiver "nowhere" used in route'
sed -i 's/receiver: nowhere/receiver: hook/' "$W/v/alertmanager/alertmanager.yml"
run_kedge validate --worktree "$W/v"
assert_rc 0
printf 'route:\n  receiver: [hook\n' >"$W/v/alertmanager/alertmanager.yml"
run_kedge validate --worktree "$W/v"
assert_rc 2
assert_err_contains "alertmanager/alertmanager.yml:3:1: expected ',' or ']'"

case_begin "no amtool: apply refuses to write; a hung amtool is cut off at its deadline"
repo hook
cp "$CFG" "$W/before-tool.yml"
h=$(am_hash "$URL")
KEDGE_AMTOOL=none probe apply "$W/repo" "$URL" "$CFG" "$W/am.env"
assert_eq "$RC" 2 "apply without amtool"
assert_err_contains "error: ERR_UNSUPPORTED: amtool is needed to check alertmanager/alertmanager.yml"
printf '#!/bin/sh\nsleep 3607 &\nsleep 3607\n' >"$W/hang.sh"
chmod +x "$W/hang.sh"
t0=$SECONDS
KEDGE_AMTOOL=$W/hang.sh AM_PROBE_TIMEOUT_MS=2000 probe apply "$W/repo" "$URL" "$CFG" "$W/am.env"
assert_eq "$RC" 2 "apply with a hung amtool"
assert_err_contains "error: ERR_TIMEOUT: $W/hang.sh did not finish within 2 s"
[ $((SECONDS - t0)) -lt 20 ] || fail "the hung amtool held the apply for $((SECONDS - t0)) s"
sleep 0.5
pgrep -fx "sleep 3607" && fail "the hung amtool's process group was not killed"
cmp -s "$W/before-tool.yml" "$CFG" || fail "the config file changed"
assert_eq "$(am_hash "$URL")" "$h" "loaded hash unchanged"
stage_left "$CFG" && fail "a staging folder was left next to the config"

case_begin "a broken template is located and refused"
repo pager
printf '{{ define "x" }}{{ .Status }\n' >"$W/repo/alertmanager/templates/kedge.tmpl"
probe verify "$W/repo" "$URL" "$CFG"
assert_eq "$RC" 3 "verify exit status"
assert_err_contains "alertmanager/templates/kedge.tmpl:1:"
assert_err_contains ": amtool: template: kedge.tmpl:1: unexpected"
probe apply "$W/repo" "$URL" "$CFG" "$W/am.env"
assert_eq "$RC" 2 "apply exit status"
assert_err_contains "alertmanager/templates/kedge.tmpl:1:"
assert_err_contains ": amtool check-config refused it: template: kedge.tmpl:1:"
cmp -s "$W/before.yml" "$CFG" || fail "the config file changed"
assert_file_contains "$(dirname "$CFG")/templates/kedge.tmpl" "[pager]"

case_begin "an unknown \${NAME} is located, and nothing is read from the server"
repo pager
sed -i 's/\${HOOK_URL}/${HOOK_URL}\/${NOT_SET}/' "$W/repo/alertmanager/alertmanager.yml"
probe diff "$W/repo" "$URL" "$CFG" "$W/am.env"
assert_eq "$RC" 3 "diff exit status"
assert_err_contains "alertmanager/alertmanager.yml:14:26: '\${NOT_SET}' is not set in $W/am.env"
sed -i 's/\${HOOK_URL}/${HOOK_URL:-x}/' "$W/repo/alertmanager/alertmanager.yml"
probe diff "$W/repo" "$URL" "$CFG" "$W/am.env"
assert_eq "$RC" 3 "diff exit status with a default"
assert_err_contains "alertmanager/alertmanager.yml:14:14: a reference must be \${NAME}"

case_begin "a rotated secret is a change that names the key, never a value"
repo pager
printf 'HOOK_URL=http://127.0.0.1:9/hook/%s\nPD_KEY=%s\n' "$SECRET" "$SECRET2" >"$W/am2.env"
probe diff "$W/repo" "$URL" "$CFG" "$W/am2.env"
assert_eq "$RC" 1 "diff exit status"
assert_eq "$(printf '%s\n' "$OUT" | grep -v '^json:')" \
	"~ alertmanager receiver pager: changed (pagerduty_configs/0/routing_key)" "plan lines"
# a value amtool quotes in its refusal is masked too
printf 'HOOK_URL=http://h/%s/%%zz\nPD_KEY=%s\n' "$SECRET2" "$SECRET" >"$W/am3.env"
probe apply "$W/repo" "$URL" "$CFG" "$W/am3.env"
assert_eq "$RC" 2 "apply of a bad URL"
assert_err_contains 'amtool check-config refused it: parse "<secret>": invalid URL escape'
assert_err_contains "alertmanager/alertmanager.yml:14:"
cmp -s "$W/before.yml" "$CFG" || fail "the config file changed"

case_begin "a hand-edited file is a difference, and a reload of it is drift"
repo pager
sed -i 's/group_wait: 30s/group_wait: 2m/' "$CFG"
probe diff "$W/repo" "$URL" "$CFG" "$W/am.env"
assert_eq "$RC" 1 "diff exit status"
assert_out_contains "~ alertmanager route: group_wait: 2m -> 30s"
assert_out_contains "~ alertmanager: loaded config differs from the file (drift)"
assert_out_contains '"drift":true'
probe apply "$W/repo" "$URL" "$CFG" "$W/am.env"
assert_eq "$RC" 0 "apply exit status"
cmp -s "$W/before.yml" "$CFG" || fail "the file is not restored to the desired one"
assert_eq "$(am_hash "$URL")" "$(file_hash "$CFG")" "loaded hash"
printf '# a note by hand\n' >>"$CFG"
probe diff "$W/repo" "$URL" "$CFG" "$W/am.env"
assert_eq "$RC" 1 "diff exit status after a comment"
assert_eq "$(printf '%s\n' "$OUT" | grep -v '^json:')" \
	"~ alertmanager config: text changed (comments or layout)
~ alertmanager: loaded config differs from the file (drift)" "plan lines"
probe apply "$W/repo" "$URL" "$CFG" "$W/am.env"
assert_eq "$RC" 0 "apply exit status"
cmp -s "$W/before.yml" "$CFG" || fail "the comment is still there"
# the file is right, but Alertmanager loaded something else
cp "$CFG" "$W/edit.yml"
sed -i 's/group_wait: 30s/group_wait: 3m/' "$CFG"
curl -fsS --max-time 30 -X POST "$URL/-/reload" || fail "reload failed"
cp "$W/edit.yml" "$CFG"
probe diff "$W/repo" "$URL" "$CFG" "$W/am.env"
assert_eq "$RC" 1 "diff exit status"
assert_eq "$(printf '%s\n' "$OUT" | grep -v '^json:')" \
	"~ alertmanager: loaded config differs from the file (drift)" "plan lines"
probe apply "$W/repo" "$URL" "$CFG" "$W/am.env"
assert_eq "$RC" 0 "apply (a reload) exit status"
assert_eq "$(am_hash "$URL")" "$(file_hash "$CFG")" "loaded hash"

case_begin "Alertmanager stopped: a clear error, the previous file is back; started again, apply converges"
D=$W/private
mkdir -p "$D"
envs=$(timeout -k 5 120 "$ROOT/tests/env/alertmanager.sh" start "$D" 2>"$D.err") ||
	fail "private Alertmanager did not start: $(cat "$D.err")"
PURL=$(printf '%s\n' "$envs" | sed -n 's/^export KEDGE_TEST_AM_URL=//p')
PCFG=$D/alertmanager.yml
repo pager
probe apply "$W/repo" "$PURL" "$PCFG" "$W/am.env"
assert_eq "$RC" 0 "first apply"
cp "$PCFG" "$W/private-before.yml"
cp "$D/templates/kedge.tmpl" "$W/private-before.tmpl"
repo hook 1m
probe diff "$W/repo" "$PURL" "$PCFG" "$W/am.env"
assert_eq "$RC" 1 "diff before the stop"
AM_PROBE_BEFORE_APPLY="timeout -k 5 60 '$ROOT/tests/env/alertmanager.sh' stop '$D' >/dev/null 2>&1" \
	probe apply "$W/repo" "$PURL" "$PCFG" "$W/am.env"
assert_eq "$RC" 2 "apply with Alertmanager down"
assert_err_contains "error: ERR_REMOTE: cannot connect to Alertmanager at $PURL"
assert_err_contains "the previous files are back, but not loaded"
cmp -s "$W/private-before.yml" "$PCFG" || fail "the config file was not restored"
cmp -s "$W/private-before.tmpl" "$D/templates/kedge.tmpl" || fail "the template was not restored"
stage_left "$PCFG" && fail "a staging folder was left next to the config"
probe diff "$W/repo" "$PURL" "$PCFG" "$W/am.env"
assert_eq "$RC" 2 "diff with Alertmanager down"
assert_err_contains "cannot read the configuration Alertmanager has loaded"
envs=$(timeout -k 5 120 "$ROOT/tests/env/alertmanager.sh" start "$D" 2>"$D.err") ||
	fail "private Alertmanager did not start again: $(cat "$D.err")"
PURL=$(printf '%s\n' "$envs" | sed -n 's/^export KEDGE_TEST_AM_URL=//p')
probe apply "$W/repo" "$PURL" "$PCFG" "$W/am.env"
assert_eq "$RC" 0 "apply after the restart"
assert_out_contains "~ alertmanager route: receiver: default -> hook"
assert_eq "$(am_hash "$PURL")" "$(file_hash "$PCFG")" "loaded hash after the restart"
probe diff "$W/repo" "$PURL" "$PCFG" "$W/am.env"
assert_eq "$RC" 0 "diff after the apply"
timeout -k 5 60 "$ROOT/tests/env/alertmanager.sh" stop "$D" >/dev/null 2>&1
