# needs: docker
#
# t-alertmanager-cli.sh: Alertmanager through the kedge command line, as a
# user runs it: `kedge diff` and `kedge apply` with --alertmanager-url,
# --alertmanager-config and --alertmanager-env-file, against a private
# Alertmanager 0.25 started here (tests/env/alertmanager.sh) and a private
# Prometheus for the rules beside it. A route change is shown, applied and
# proven by the loaded config hash; a value from the env file appears in no
# output; an unknown ${NAME} is located and changes nothing; settings that
# belong together are asked for together.

HERE=$(dirname "$KEDGE_IT_LIB")
AM_ENV=$HERE/../env/alertmanager.sh
PROM_ENV=$HERE/../env/prometheus.sh
AD=$PWD/am
PD=$PWD/prom
SECRET=pd-s3cret-$$-$RANDOM

cleanup() {
	"$AM_ENV" stop "$AD" >/dev/null 2>&1
	"$PROM_ENV" stop "$PD" >/dev/null 2>&1
}
trap 'cleanup; lib_on_exit' EXIT

mkdir -p "$AD" "$PD"
out=$("$AM_ENV" start "$AD") || fail "cannot start Alertmanager"
AM=$(echo "$out" | sed -n 's/^export KEDGE_TEST_AM_URL=//p')
CFG=$(echo "$out" | sed -n 's/^export KEDGE_TEST_AM_CONFIG=//p')
out=$("$PROM_ENV" start "$PD") || fail "cannot start Prometheus"
PROM=$(echo "$out" | sed -n 's/^export KEDGE_TEST_PROM_URL=//p')
printf 'PD_KEY=%s\n' "$SECRET" >"$PWD/am.env"
chmod 600 "$PWD/am.env"

W=$PWD/desired
make_desired_repo "$W"
printf 'instance: t-alertmanager-cli\n' >"$W/kedge.yml"
mkdir -p "$W/alertmanager/templates" "$W/alerts"
write_config() {
	cat >"$W/alertmanager/alertmanager.yml" <<YAML
route:
  receiver: $1
  group_wait: 30s
receivers:
  - name: default
  - name: pager
    pagerduty_configs:
      - routing_key: \${${2:-PD_KEY}}
templates:
  - templates/*.tmpl
YAML
}
write_config default
printf '{{ define "kedge.title" }}{{ .Status }}{{ end }}\n' >"$W/alertmanager/templates/kedge.tmpl"
printf 'groups:\n  - name: node\n    rules:\n      - alert: NodeDown\n        expr: up == 0\n' >"$W/alerts/node.yml"
commit_all "$W" "alertmanager and rules"

A=(--alertmanager-url "$AM" --alertmanager-config "$CFG" --alertmanager-env-file "$PWD/am.env"
	--prometheus-url "$PROM" --prometheus-rules-dir "$PD/rules/kedge")

no_secret() {
	if [[ "$OUT$ERR" == *"$SECRET"* ]]; then fail "the env file's value is in kedge's output"; fi
}

am_hash() {
	curl -fsS --max-time 10 "$AM/metrics" | awk '$1 == "alertmanager_config_hash" {printf "%.0f\n", $2}'
}

file_hash() {
	python3 -c 'import hashlib,sys
d = hashlib.md5(open(sys.argv[1], "rb").read()).digest()
print(int.from_bytes(d[:6], "little"))' "$1"
}

case_begin "kedge diff shows Alertmanager's changes beside the rules', exit 1, no secret"
run_kedge diff --repo "$W" "${A[@]}"
assert_rc 1
assert_out_contains "+ group node.yml/node (1 rule)"
assert_out_contains "alertmanager"
no_secret
run_kedge diff --repo "$W" "${A[@]}" --output json
assert_rc 1
no_secret
python3 -c '
import json, sys
p = json.loads(sys.argv[1])
assert p["prometheus"]["alertmanager"] is not None, p["prometheus"]
assert p["prometheus"]["rules"]["changes"], p["prometheus"]
' "$OUT" || fail "the JSON plan has no alertmanager section"

case_begin "kedge apply writes and reloads; the loaded hash is the file's; the diff is then clean"
run_kedge apply --repo "$W" "${A[@]}"
assert_rc 0
no_secret
assert_out_contains "to Prometheus"
assert_file_contains "$CFG" "routing_key: $SECRET"
assert_eq "$(am_hash)" "$(file_hash "$CFG")" "alertmanager_config_hash"
run_kedge diff --repo "$W" "${A[@]}"
assert_rc 0
no_secret

case_begin "a route change is loaded and proven by hash"
write_config pager
commit_all "$W" "page"
run_kedge diff --repo "$W" "${A[@]}"
assert_rc 1
assert_out_contains "~ alertmanager route: receiver: default -> pager"
run_kedge apply --repo "$W" "${A[@]}"
assert_rc 0
no_secret
assert_file_contains "$CFG" "receiver: pager"
assert_eq "$(am_hash)" "$(file_hash "$CFG")" "alertmanager_config_hash after the change"

case_begin "an unknown \${NAME} is located and nothing changes"
cp "$CFG" "$PWD/before.yml"
h=$(am_hash)
write_config default NO_SUCH_KEY
commit_all "$W" "unknown key"
run_kedge apply --repo "$W" "${A[@]}"
assert_rc 2
assert_err_contains "alertmanager/alertmanager.yml:"
assert_err_contains "NO_SUCH_KEY"
assert_err_contains "nothing was changed"
no_secret
cmp -s "$CFG" "$PWD/before.yml" || fail "the config file changed"
assert_eq "$(am_hash)" "$h" "the loaded hash after a refused apply"

case_begin "--alertmanager-url without --alertmanager-config is an error"
run_kedge diff --repo "$W" --alertmanager-url "$AM"
assert_rc 2
assert_err_contains "alertmanager"
