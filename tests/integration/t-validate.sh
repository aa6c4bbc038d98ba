# needs:
#
# kedge validate over real git repositories: the quickstart is valid, and a
# table of bad inputs each fails with exit 2 and a message that names the
# file, line and column a person has to fix. Nothing here needs a service;
# the remote cases use file:// and a closed loopback port.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# A minimal valid desired state in $1.
base_repo() {
	make_desired_repo "$1"
	mkdir -p "$1/stacks/web"
	cat >"$1/stacks/web/compose.yml" <<'YML'
services:
  web:
    image: nginx:1.25
    deploy:
      replicas: 2
YML
}

# bad_case NAME LOCATION MESSAGE: commit what the caller wrote into $R and
# expect exit 2 with "LOCATION" and "MESSAGE" on stderr.
bad_case() {
	commit_all "$R" "case $1"
	run_kedge validate --repo "$R"
	assert_rc 2
	assert_err_contains "$2"
	assert_err_contains "$3"
}

new_case() {
	case_begin "$1"
	R=$(mktemp -d "$PWD/repo.XXXXXX")
	base_repo "$R"
}

W=stacks/web/compose.yml

case_begin "quickstart example is valid"
Q=$(mktemp -d "$PWD/q.XXXXXX")
cp -a "$ROOT/examples/quickstart/." "$Q/"
make_desired_repo "$Q"
commit_all "$Q" "quickstart"
run_kedge validate --repo "$Q"
assert_rc 0
assert_out_contains "valid:"
assert_err_not_contains "error"

case_begin "json output of a valid repository is an empty array"
run_kedge validate --repo "$Q" --output json
assert_rc 0
assert_eq "$(printf '%s' "$OUT" | tr -d ' \n')" "[]" "json output"

new_case "yaml syntax error"
printf 'services:\n  web:\n    image: [unclosed\n' >"$R/$W"
bad_case syntax "$W:4:1: expected ',' or ']' in this [ ] list" \
	"(in a flow sequence that starts at line 3)"

new_case "tab indentation"
printf 'services:\n  web:\n\timage: nginx\n' >"$R/$W"
bad_case tab "$W:3:" "tab"

new_case "duplicate key"
printf 'services:\n  web:\n    image: nginx\n    image: redis\n' >"$R/$W"
bad_case dup "$W:4:5:" "duplicate key 'image'"

new_case "wrong type"
printf 'services:\n  web:\n    image: nginx\n    deploy:\n      replicas: two\n' >"$R/$W"
bad_case type "$W:5:17:" "integer"

new_case "negative replicas"
printf 'services:\n  web:\n    image: nginx\n    deploy:\n      replicas: -1\n' >"$R/$W"
bad_case neg "$W:5:17:" "-1"

new_case "unknown key"
printf 'services:\n  web:\n    image: nginx\n    flavour: spicy\n' >"$R/$W"
bad_case unknown "$W:4:5:" "unknown key 'flavour'"

new_case "misspelled key gets a hint"
printf 'services:\n  web:\n    imgae: nginx\n' >"$R/$W"
bad_case misspelled "$W:3:5:" "did you mean 'image'"

new_case "alias bomb is refused"
{
	printf 'x-a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
	prev=a
	for n in b c d e f g h i j; do
		printf 'x-%s: &%s [*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s]\n' $n $n $prev $prev $prev $prev $prev $prev $prev $prev $prev
		prev=$n
	done
	printf 'services:\n  web:\n    image: nginx\n'
} >"$R/$W"
bad_case bomb "$W:" "aliases"

new_case "oversized file"
{
	printf 'services:\n  web:\n    image: nginx\n    environment:\n'
	head -c 5000000 /dev/zero | tr '\0' 'a' | fold -w 100 | awk '{print "      V" NR ": " $0}'
} >"$R/$W"
bad_case big "$W" "limit"

new_case "deep nesting"
{
	printf 'x-deep: '
	for _ in $(seq 1 100); do printf '['; done
	for _ in $(seq 1 100); do printf ']'; done
	printf '\nservices:\n  web:\n    image: nginx\n'
} >"$R/$W"
bad_case deep "$W:1:" "nest"

new_case "invalid UTF-8"
printf 'services:\n  web:\n    image: "ngi\xffnx"\n' >"$R/$W"
bad_case utf8 "$W:3:" "UTF-8"

new_case "config file escaping the repository"
cat >"$R/$W" <<'YML'
services:
  web:
    image: nginx
    configs: [site]
configs:
  site:
    file: ../../../etc/passwd
YML
bad_case escape "$W:7:11:" "leaves the repository"

new_case "symlink leaving the repository"
ln -s /etc/passwd "$R/stacks/web/passwd"
cat >"$R/$W" <<'YML'
services:
  web:
    image: nginx
    secrets: [pw]
secrets:
  pw:
    file: ./passwd
YML
bad_case symlink "$W:7:11:" "leaves the repository"

new_case "unknown network"
printf 'services:\n  web:\n    image: nginx\n    networks: [backend]\n' >"$R/$W"
bad_case network "$W:4:16:" "network 'backend', which is not declared"

new_case "missing config file"
cat >"$R/$W" <<'YML'
services:
  web:
    image: nginx
    configs: [site]
configs:
  site:
    file: ./site/index.html
YML
bad_case missingfile "$W:7:11:" "does not exist"

new_case "bad cron schedule"
mkdir -p "$R/backups"
cat >"$R/backups/db.yml" <<'YML'
backups:
  - name: db-nightly
    schedule: "61 2 * * *"
    timezone: UTC
    target: {kind: volume, service: web, volume: data}
    job: {image: "alpine:3.19", command: ["true"]}
    destination: {type: volume, path: /backups}
    retention: {keep_last: 7}
YML
bad_case cron "backups/db.yml:3:15:" "minute"

new_case "bad duration"
printf 'services:\n  web:\n    image: nginx\n    healthcheck:\n      test: ["CMD", "true"]\n      interval: 10 parsecs\n' >"$R/$W"
bad_case duration "$W:6:17:" "duration"

new_case "required variable without a value"
printf 'services:\n  web:\n    image: "nginx:${TAG:?set TAG in .env}"\n' >"$R/$W"
bad_case required "$W:3:12:" "required variable TAG is missing a value: set TAG in .env"

new_case "malformed interpolation"
printf 'services:\n  web:\n    image: "nginx:${TAG"\n' >"$R/$W"
bad_case interp "$W:3:12:" "invalid interpolation"

new_case "two documents in one file"
printf 'services:\n  web:\n    image: nginx\n---\nservices: {}\n' >"$R/$W"
bad_case multidoc "$W:4:" "one YAML document"

new_case "bad placement constraint"
printf 'services:\n  web:\n    image: nginx\n    deploy:\n      placement:\n        constraints: ["node.role = manager"]\n' >"$R/$W"
bad_case constraint "$W:6:23:" "placement constraint"

new_case "published port used by two stacks"
printf 'services:\n  web:\n    image: nginx\n    ports: ["8080:80"]\n' >"$R/$W"
mkdir -p "$R/stacks/api"
printf 'services:\n  api:\n    image: nginx\n    ports: ["8080:8000"]\n' >"$R/stacks/api/compose.yml"
bad_case ports "compose.yml:4:13:" "already used"

new_case "global service with replicas"
printf 'services:\n  web:\n    image: nginx\n    deploy:\n      mode: global\n      replicas: 2\n' >"$R/$W"
bad_case global "$W:2:3:" "can only be used with a replicated mode"

new_case "stack folder without compose file"
mkdir -p "$R/stacks/empty"
echo "nothing" >"$R/stacks/empty/README"
bad_case nocompose "stacks/empty" "no compose file"

new_case "bad stack name"
mkdir -p "$R/stacks/bad.name"
printf 'services:\n  a:\n    image: nginx\n' >"$R/stacks/bad.name/compose.yml"
bad_case stackname "stacks/bad.name" "stack name 'bad.name' is not valid"

new_case "bad .env line"
printf 'TAG=1.25\nthis is not an assignment\n' >"$R/stacks/web/.env"
bad_case dotenv "stacks/web/.env:2:1:" "KEY=VALUE"

new_case "bad node availability"
printf 'nodes:\n  manager-1:\n    availability: sleeping\n' >"$R/nodes.yml"
bad_case nodes "nodes.yml:3:19:" "must be one of"

new_case "alert rule without expr"
mkdir -p "$R/alerts"
printf 'groups:\n  - name: g\n    rules:\n      - alert: Down\n        for: 5m\n' >"$R/alerts/a.yml"
bad_case rule "alerts/a.yml:4:" "expr"

new_case "alert expression promtool rejects"
mkdir -p "$R/alerts"
printf 'groups:\n  - name: g\n    rules:\n      - alert: Down\n        expr: sum(up\n' >"$R/alerts/a.yml"
bad_case promtool "alerts/a.yml" "promtool"

new_case "host port out of range is refused where it is written"
printf 'services:\n  web:\n    image: nginx\n    ports: ["8080:80", "70000:80"]\n' >"$R/$W"
bad_case port70000 "$W:4:24: port '70000:80': the host port must be a number or a range" \
	"1 error,"

new_case "a port with unbounded digits fails fast"
printf 'services:\n  web:\n    image: nginx\n    ports: ["99999999999999999999:80"]\n' >"$R/$W"
commit_all "$R" "huge port"
run_kedge validate --repo "$R"
assert_rc 2
assert_err_contains "$W:4:13: 'ports[0]' does not match pattern"

new_case "two stacks publishing every port on three protocols"
mkdir -p "$R/stacks/api"
printf 'services:\n  web:\n    image: nginx\n    ports: ["1-65535:1-65535", "1-65535:1-65535/udp", "1-65535:1-65535/sctp"]\n' >"$R/$W"
cp "$R/$W" "$R/stacks/api/compose.yml"
commit_all "$R" "port ranges"
run_kedge validate --repo "$R"
assert_rc 2
assert_err_contains "stacks/web/compose.yml:4:13: published port 1/tcp is already used by service 'api_web'; Swarm publishes a port once per cluster"
assert_err_contains "stacks/web/compose.yml:4:55: published port 1/sctp is already used by service 'api_web'"
n=$(printf '%s\n' "$ERR" | grep -c "already used")
assert_eq "$n" "3" "one clash per service pair and range"

new_case "a relative bind mount is refused by validate, as by diff"
printf 'services:\n  web:\n    image: nginx\n    volumes: ["./data:/data"]\n' >"$R/$W"
bad_case relbind "$W:4:15: bind source './data' must be an absolute path" \
	"1 error,"

new_case "every service the conversion refuses is reported at once"
printf 'services:\n  a:\n    command: [sleep, "1"]\n  b:\n    image: nginx\n    volumes: ["./rel:/x"]\n  c:\n    image: Nginx\n' >"$R/$W"
bad_case allrefusals "$W:3:5: 'image' is required" \
	"$W:6:15: bind source './rel' must be an absolute path"
assert_err_contains "$W:8:12: 'Nginx' is not a valid image reference"
assert_err_contains "3 errors,"

new_case "node.role must be manager or worker exactly"
printf 'services:\n  web:\n    image: nginx\n    deploy:\n      placement:\n        constraints: ["node.role == managerz"]\n' >"$R/$W"
bad_case role "$W:6:23: placement constraint 'node.role == managerz': node.role can only be 'manager' or 'worker'" \
	"1 error,"

new_case "60 000 capabilities validate (uniqueItems is not quadratic)"
python3 -c '
print("services:\n  web:\n    image: nginx\n    cap_add:")
for i in range(60000): print("      - CAP_%d" % i)
print("      - CAP_7")' >"$R/$W"
bad_case unique "$W:" "must not contain duplicates (items 7 and 60000 are equal)"

new_case "promtool output without a trailing colon does not crash"
mkdir -p "$R/alerts"
printf 'groups:\n  - name: g\n    rules:\n      - alert: Down\n        expr: up == 0\n' >"$R/alerts/a.yml"
T=$(mktemp -d "$PWD/tool.XXXXXX")
printf '#!/bin/sh\necho "$3: 1:2"\nexit 1\n' >"$T/promtool"
chmod +x "$T/promtool"
commit_all "$R" "rules"
KEDGE_PROMTOOL="$T/promtool" run_kedge validate --repo "$R"
assert_rc 2
assert_err_contains "alerts/a.yml: promtool: 1:2"

case_begin "a promtool that cannot run is an error, not a pass"
KEDGE_PROMTOOL="$T/missing" run_kedge validate --repo "$R"
assert_rc 2
assert_err_contains "alerts/a.yml: cannot check the rules with promtool: cannot run $T/missing: No such file or directory"

case_begin "a promtool whose child keeps the pipe open does not hold validate"
printf '#!/bin/sh\n(sleep 300) &\necho "$3:4:3: bad"\nexit 1\n' >"$T/promtool"
KEDGE_PROMTOOL="$T/promtool" run_kedge validate --repo "$R"
assert_rc 2
assert_err_contains "alerts/a.yml:4:3: promtool: bad"

# Rule unit tests (alerts/<name>.test.yml) with the real promtool.
rule_test_repo() {
	mkdir -p "$R/alerts"
	cat >"$R/alerts/node.yml" <<'YML'
groups:
  - name: node
    rules:
      - alert: InstanceDown
        expr: up == 0
        for: 5m
        labels: {severity: critical}
        annotations:
          summary: "{{ $labels.instance }} is down"
YML
}

new_case "a passing rule test validates"
rule_test_repo
cat >"$R/alerts/node.test.yml" <<'YML'
rule_files: [node.yml]
tests:
  - name: instance down
    interval: 1m
    input_series:
      - series: 'up{job="node",instance="h1"}'
        values: '0x10'
    alert_rule_test:
      - eval_time: 6m
        alertname: InstanceDown
        exp_alerts:
          - exp_labels: {severity: critical, job: node, instance: h1}
            exp_annotations: {summary: "h1 is down"}
YML
commit_all "$R" "passing rule test"
KEDGE_PROMTOOL=/usr/bin/promtool run_kedge validate --repo "$R"
assert_rc 0
assert_out_contains "1 rule file"
assert_err_not_contains "error"
assert_err_not_contains "warning"

case_begin "a failing rule test is an error at its item naming the test and the alert"
sed -i 's/summary: "h1 is down"/summary: "h2 is down"/' "$R/alerts/node.test.yml"
cat >>"$R/alerts/node.test.yml" <<'YML'
  - interval: 1m
    input_series:
      - series: 'up{job="node",instance="h1"}'
        values: '1x10'
    promql_expr_test:
      - expr: up
        eval_time: 2m
        exp_samples: [{labels: 'up{job="node",instance="h1"}', value: 0}]
YML
commit_all "$R" "failing rule test"
KEDGE_PROMTOOL=/usr/bin/promtool run_kedge validate --repo "$R"
assert_rc 2
assert_err_contains "alerts/node.test.yml:9:9: rule test 'instance down' failed: alert 'InstanceDown' at 6m: expected 1 alert {alertname=\"InstanceDown\", instance=\"h1\", job=\"node\", severity=\"critical\"} annotations {summary=\"h2 is down\"}, got 1 alert {alertname=\"InstanceDown\", instance=\"h1\", job=\"node\", severity=\"critical\"} annotations {summary=\"h1 is down\"}"
assert_err_contains "alerts/node.test.yml:19:9: rule test 2 failed: expression 'up' at 2m: expected {__name__=\"up\", instance=\"h1\", job=\"node\"} 0E+00, got {__name__=\"up\", instance=\"h1\", job=\"node\"} 1E+00"
assert_err_contains "2 errors,"
left=$(find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'kedge-ruletests-*' -newer "$R/alerts/node.test.yml" 2>/dev/null | wc -l)
assert_eq "$left" "0" "temporary rule test folders left behind"
# the test file is not checked as a rule file
assert_err_not_contains "alerts/node.test.yml: promtool:"
assert_err_not_contains "'groups' is required"

new_case "a rule test of a missing rule file is an error at the entry"
rule_test_repo
printf 'rule_files:\n  - node.yml\n  - disk.yml\ntests: []\n' >"$R/alerts/node.test.yml"
bad_case ruletestmissing "alerts/node.test.yml:3:5: rule file 'disk.yml' does not exist (no 'alerts/disk.yml')" \
	"1 error,"

new_case "a rule test cannot read outside alerts/"
rule_test_repo
echo "groups: []" >"$R/x.yml"
printf 'rule_files: [node.yml, ../x.yml, /etc/passwd, "../*.yml"]\ntests: []\n' >"$R/alerts/node.test.yml"
bad_case ruletestescape "alerts/node.test.yml:1:24: rule file '../x.yml' leaves alerts/; a rule test reads only the rule files beside it" \
	"alerts/node.test.yml:1:34: rule file '/etc/passwd' leaves alerts/"
assert_err_contains "alerts/node.test.yml:1:47: rule file '../*.yml' leaves alerts/"
assert_err_contains "3 errors,"

new_case "rule_files globs go over the rule files of alerts/"
rule_test_repo
printf 'rule_files: ["no?e.yml"]\ntests:\n  - interval: 1m\n' >"$R/alerts/node.test.yml"
commit_all "$R" "glob"
KEDGE_PROMTOOL=/usr/bin/promtool run_kedge validate --repo "$R"
assert_rc 0
printf 'rule_files: ["*.yml", "disk-*.yml"]\ntests:\n  - interval: 1m\n' >"$R/alerts/node.test.yml"
bad_case ruletestglob "alerts/node.test.yml:1:14: rule file pattern '*.yml' matches this test file too" \
	"alerts/node.test.yml:1:23: rule file pattern 'disk-*.yml' matches no rule file in alerts/"

new_case "a rule test over a broken rule file is not run, and says so"
rule_test_repo
printf 'groups:\n  - name: g\n    rules:\n      - alert: Down\n        expr: sum(up\n' >"$R/alerts/node.yml"
printf 'rule_files: [node.yml]\ntests:\n  - interval: 1m\n' >"$R/alerts/node.test.yml"
commit_all "$R" "broken rules"
KEDGE_PROMTOOL=/usr/bin/promtool run_kedge validate --repo "$R"
assert_rc 2
assert_err_contains "alerts/node.yml:5:"
assert_err_contains "alerts/node.test.yml: warning: rule tests not run: rule file 'alerts/node.yml' has errors"

new_case "rule tests without promtool are a warning, not a silent pass"
rule_test_repo
printf 'rule_files: [node.yml]\ntests:\n  - interval: 1m\n' >"$R/alerts/node.test.yml"
cp "$R/alerts/node.test.yml" "$R/alerts/other.test.yml"
commit_all "$R" "no promtool"
KEDGE_PROMTOOL=none run_kedge validate --repo "$R"
assert_rc 0
assert_err_contains "alerts/node.test.yml: warning: rule tests not run: promtool not found"
n=$(printf '%s\n' "$ERR" | grep -c "rule tests not run")
assert_eq "$n" "1" "one warning for all test files"
printf 'rule_files: [disk.yml]\ntests: []\n' >"$R/alerts/other.test.yml"
commit_all "$R" "a missing rule file without promtool"
KEDGE_PROMTOOL=none run_kedge validate --repo "$R"
assert_rc 2
assert_err_contains "alerts/other.test.yml:1:14: rule file 'disk.yml' does not exist"

new_case "a config may be 1000 KiB, a secret no more than 500 KiB"
head -c 1000000 /dev/zero | tr '\0' 'a' >"$R/stacks/web/big.conf"
head -c 600000 /dev/zero | tr '\0' 'a' >"$R/stacks/web/big.secret"
printf 'services:\n  web:\n    image: nginx\n    configs: [c]\nconfigs:\n  c:\n    file: ./big.conf\n' >"$R/$W"
commit_all "$R" "big config"
run_kedge validate --repo "$R"
assert_rc 0
printf 'services:\n  web:\n    image: nginx\n    secrets: [s]\nsecrets:\n  s:\n    file: ./big.secret\n' >"$R/$W"
bad_case bigsecret "$W:7:11:" "'stacks/web/big.secret' is larger than Swarm's 500 KiB limit"

new_case "unknown key in kedge.yml"
printf 'prune: true\npurne_all: false\n' >"$R/kedge.yml"
bad_case settings "kedge.yml:2:1:" "unknown key 'purne_all'"

new_case "an ignore path kedge cannot map"
printf 'services:\n  web:\n    image: nginx\n    x-kedge:\n      ignore: [deploy.replica]\n' >"$R/$W"
bad_case ignore "$W:5:16:" "cannot ignore 'deploy.replica'; supported: image"

case_begin "repository with no desired state"
R=$(mktemp -d "$PWD/repo.XXXXXX")
make_desired_repo "$R"
echo "# docs" >"$R/README.md"
bad_case nostate "no desired state found in " \
	"expected a stacks/ folder, nodes.yml, alerts/, alertmanager/ or backups/"

case_begin "a repository of only alertmanager/ is desired state"
R=$(mktemp -d "$PWD/repo.XXXXXX")
make_desired_repo "$R"
mkdir -p "$R/alertmanager"
printf 'route:\n  receiver: default\nreceivers:\n  - name: default\n' >"$R/alertmanager/alertmanager.yml"
commit_all "$R" "alertmanager only"
run_kedge validate --repo "$R"
assert_rc 0
assert_err_not_contains "no desired state found"

case_begin "empty repository"
R=$(mktemp -d "$PWD/repo.XXXXXX")
make_desired_repo "$R"
run_kedge validate --repo "$R"
assert_rc 2
assert_err_contains "has no commits"

case_begin "missing ref"
R=$(mktemp -d "$PWD/repo.XXXXXX")
base_repo "$R"
commit_all "$R" "base"
run_kedge validate --repo "$R" --ref no-such-branch
assert_rc 2
assert_err_contains "ref 'no-such-branch' not found"

case_begin "unreachable remote"
run_kedge validate --repo "ssh://git@127.0.0.1:1/nowhere.git" --cache-dir "$PWD/cache"
assert_rc 2
assert_err_contains "cannot reach"

case_begin "warnings do not fail validation"
R=$(mktemp -d "$PWD/repo.XXXXXX")
base_repo "$R"
printf 'services:\n  web:\n    image: nginx\n    build: .\n    container_name: web\n' >"$R/$W"
commit_all "$R" "warn"
run_kedge validate --repo "$R"
assert_rc 0
assert_err_contains "$W:4:5: warning:"
assert_err_contains "build"

case_begin "only committed state counts; --worktree reads the folder"
R=$(mktemp -d "$PWD/repo.XXXXXX")
base_repo "$R"
commit_all "$R" "base"
printf 'services:\n  web:\n    imgae: nginx\n' >"$R/$W"
run_kedge validate --repo "$R"
assert_rc 0
run_kedge validate --worktree "$R"
assert_rc 2
assert_err_contains "$W:3:5: unknown key 'imgae'"

case_begin "json output lists every problem with its location"
R=$(mktemp -d "$PWD/repo.XXXXXX")
base_repo "$R"
printf 'services:\n  web:\n    imgae: nginx\n    deploy:\n      replicas: -3\n' >"$R/$W"
commit_all "$R" "two problems"
run_kedge validate --repo "$R" --output json
assert_rc 2
n=$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len([x for x in d if x["severity"]=="error"]))')
[ "$n" -ge 2 ] || fail "expected at least 2 errors in JSON, got $n"
assert_out_contains '"line": 5'
assert_out_contains '"file": "stacks/web/compose.yml"'

case_begin "--path selects a subfolder of a monorepo"
R=$(mktemp -d "$PWD/repo.XXXXXX")
make_desired_repo "$R"
mkdir -p "$R/deploy/prod"
cp -a "$ROOT/examples/quickstart/." "$R/deploy/prod/"
echo "not yaml: [" >"$R/README.yml"
commit_all "$R" "monorepo"
run_kedge validate --repo "$R" --path deploy/prod
assert_rc 0
run_kedge validate --repo "$R" --path deploy/missing
assert_rc 2
assert_err_contains "deploy/missing"
