# needs: docker
#
# Adoption (docs/adoption.md): stacks deployed with `docker stack deploy`
# are refused without --adopt, shown as "~ adopt" by `kedge diff --adopt`,
# and taken over by `kedge apply --adopt` without restarting a task of a
# service whose spec is equal (its service labels are the only write; its
# equal config is kept). A secret is replaced once, so its service
# restarts; so does a service whose desired spec differs. Objects of
# another kedge instance are never adopted.
#
# Images are tagged (nginx:1.25, alpine:3.19, busybox:latest): an untagged
# `image: nginx` is sent differently by kedge and the CLI until the
# converter sends `nginx:latest` as the CLI does (issue 7, section 1).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export KEDGE_STORE=$PWD/state.db
R=$PWD/desired
make_desired_repo "$R"

# The quickstart's stacks and settings (nodes.yml names hosts this swarm
# does not have), and a stack with a config, a secret and a network.
mkdir -p "$R/stacks"
cp -a "$ROOT/examples/quickstart/stacks/." "$R/stacks/"
cp "$ROOT/examples/quickstart/kedge.yml" "$R/kedge.yml"

write_mix() {
	mkdir -p "$R/stacks/mix"
	printf 'listen 8080\n' >"$R/stacks/mix/app.conf"
	printf 'tok-do-not-print\n' >"$R/stacks/mix/token"
	cat >"$R/stacks/mix/compose.yml" <<YML
version: "3.8"
services:
  app:
    image: busybox:latest
    command: ["sleep", "3600"]
    configs:
      - source: conf
        target: /etc/app.conf
    networks: [inner]
  vault:
    image: busybox:latest
    command: ["sleep", "3600"]
    secrets: [token]
    networks: [inner]
  changed:
    image: busybox:latest
    command: ["sleep", "3600"]
    environment:
      MODE: "$1"
networks:
  inner:
    driver: overlay
configs:
  conf:
    file: ./app.conf
secrets:
  token:
    file: ./token
YML
}
write_mix one

# stack_deploy NAME: what a Swarm user did before kedge.
stack_deploy() {
	(cd "$R/stacks/$1" && set -a && { [ ! -f .env ] || . ./.env; } && set +a &&
		docker_cli stack deploy --resolve-image never -c compose.yml "$1" \
			>/dev/null 2>"$PWD/sd.err") ||
		fail "docker stack deploy $1 failed: $(cat "$PWD/sd.err")"
}

# converged NAME: every service of the stack runs all its replicas.
converged() {
	local r
	r=$(docker_cli service ls --filter "label=com.docker.stack.namespace=$1" \
		--format '{{.Replicas}}') || return 1
	[ -n "$r" ] && ! printf '%s\n' "$r" | awk -F/ '$1 != $2 {bad=1} END {exit !bad}'
}

# tasks SERVICE: its task IDs with their UpdatedAt, sorted: the same before
# and after means no task was replaced.
tasks() {
	docker_cli service ps -q "$1" | sort | while read -r t; do
		docker_cli inspect "$t" --format '{{.ID}} {{.UpdatedAt}}'
	done
}

owner() { docker_cli service inspect "$1" --format '{{index .Spec.Labels "kedge.managed-by"}}'; }

STACKS="web data worker mix"
EQUAL="web_web mix_app"        # specs equal to the desired ones
RESTART="data_db worker_worker mix_vault mix_changed"

case_begin "stacks deployed with docker stack deploy are running"
for s in $STACKS; do stack_deploy "$s"; done
for s in $STACKS; do
	wait_for 90 converged "$s" || fail "stack $s did not converge"
done
mkdir -p "$PWD/before"
for svc in $EQUAL $RESTART; do
	tasks "$svc" >"$PWD/before/$svc"
	[ -s "$PWD/before/$svc" ] || fail "service $svc has no tasks"
done
# the desired state moves on for one service only
write_mix two
commit_all "$R" "the quickstart and mix, as deployed by docker stack deploy"

case_begin "without --adopt, kedge refuses what it does not own"
run_kedge diff --repo "$R"
assert_rc 2
assert_err_contains "service 'web_web' already exists and is not managed by this kedge (it has no kedge.managed-by label: made by docker stack deploy or by hand?); pass --adopt (or set \`adopt:\` in kedge.yml) to take over stack 'web', or remove it"
assert_err_contains "network 'web_frontend' already exists and is not managed by this kedge"
run_kedge apply --repo "$R" --yes
assert_rc 2
assert_err_contains "nothing was changed"
[ -z "$(owner web_web)" ] || fail "web_web was labelled without --adopt"

case_begin "kedge diff --adopt shows what is taken over"
run_kedge diff --repo "$R" --adopt
assert_rc 1
for svc in $EQUAL $RESTART; do assert_out_contains "~ adopt service $svc"; done
assert_out_contains "~ adopt network web_frontend"
assert_out_contains "~ adopt network mix_inner"
assert_out_contains "~ adopt config  web_site"
assert_out_contains "~ adopt config  mix_conf"
assert_out_contains "~ adopt secret  mix_token"
assert_out_contains "- remove secret  mix_token"
assert_out_contains "      Labels.kedge.managed-by: (none) -> kedge"
# the changed value is shown masked, as every Env value in a diff
assert_out_contains "TaskTemplate.ContainerSpec.Env[MODE]: (env sha256:"
assert_out_not_contains "one -> two"
assert_out_not_contains "+ create config"
assert_out_not_contains "tok-do-not-print"
assert_out_contains "to adopt."
run_kedge diff --repo "$R" --adopt --output json
assert_rc 1
printf '%s' "$OUT" >"$PWD/plan.json"
python3 - "$PWD/plan.json" <<'PY' || fail "the JSON plan's adopt actions are wrong"
import json, sys
p = json.load(open(sys.argv[1]))
acts = {(a["op"], a["kind"], a["name"]): a for a in p["actions"]}
for s in ("web_web", "mix_app"):
    a = acts[("adopt", "service", s)]
    assert a["restarts_tasks"] is False, a
for s in ("mix_vault", "mix_changed"):
    assert acts[("adopt", "service", s)]["restarts_tasks"] is True, s
assert ("adopt", "network", "web_frontend") in acts
assert ("adopt", "config", "web_site") in acts
assert p["summary"]["adopt"] >= 13, p["summary"]
assert not p["destructive"], "replacing an adopted secret is not destructive"
PY

case_begin "kedge apply --adopt takes over without restarting equal services"
run_kedge apply --repo "$R" --adopt --yes --timeout 120
assert_rc 0
for svc in $EQUAL $RESTART; do
	assert_eq "$(owner "$svc")" kedge "kedge.managed-by of $svc"
done
for svc in $EQUAL; do
	tasks "$svc" >"$PWD/after-$svc"
	cmp -s "$PWD/before/$svc" "$PWD/after-$svc" ||
		fail "tasks of $svc were replaced: $(diff "$PWD/before/$svc" "$PWD/after-$svc")"
done
# the config docker stack deploy made is kept and now kedge's
assert_eq "$(docker_cli config inspect web_site --format '{{index .Spec.Labels "kedge.managed-by"}}')" kedge \
	"kedge.managed-by of config web_site"
assert_eq "$(docker_cli service inspect web_web --format '{{(index .Spec.TaskTemplate.ContainerSpec.Configs 0).ConfigName}}')" \
	web_site "config web_web uses"

case_begin "services whose spec differs were updated, once"
for svc in $RESTART; do
	tasks "$svc" >"$PWD/after-$svc"
	cmp -s "$PWD/before/$svc" "$PWD/after-$svc" &&
		fail "tasks of $svc were not replaced, but its spec changed"
done
assert_eq "$(docker_cli service inspect mix_changed --format '{{json .Spec.TaskTemplate.ContainerSpec.Env}}')" \
	'["MODE=two"]' "Env of mix_changed"
# the secret docker stack deploy made was replaced by kedge's, then removed
docker_cli secret inspect mix_token >/dev/null 2>&1 &&
	fail "the adopted secret mix_token was not removed once replaced"
docker_cli service inspect mix_vault --format '{{(index .Spec.TaskTemplate.ContainerSpec.Secrets 0).SecretName}}' |
	grep -q '^mix_token_' || fail "mix_vault does not use kedge's secret"

case_begin "after adoption, diff is clean without --adopt"
run_kedge diff --repo "$R"
assert_rc 0
assert_out_contains "No changes"
run_kedge apply --repo "$R" --yes
assert_rc 0
for svc in $EQUAL; do
	tasks "$svc" >"$PWD/again-$svc"
	cmp -s "$PWD/before/$svc" "$PWD/again-$svc" || fail "tasks of $svc were replaced later"
done

case_begin "objects of another kedge instance are never adopted"
mkdir -p "$R/stacks/theirs"
cat >"$R/stacks/theirs/compose.yml" <<'YML'
services:
  api:
    image: busybox:latest
    command: ["sleep", "3600"]
    networks: [back]
networks:
  back:
    driver: overlay
YML
commit_all "$R" "a stack another kedge instance owns"
stack_deploy theirs
docker_cli service update --detach --label-add kedge.managed-by=other theirs_api >/dev/null ||
	fail "cannot label theirs_api"
run_kedge diff --repo "$R" --adopt --stack theirs
assert_rc 2
assert_err_contains "service 'theirs_api' already exists and is not managed by this kedge (it belongs to kedge instance 'other')"
assert_err_contains "network 'theirs_back' already exists and is not managed by this kedge"
assert_out_not_contains "~ adopt"
run_kedge apply --repo "$R" --adopt --stack theirs --yes
assert_rc 2
assert_eq "$(owner theirs_api)" other "kedge.managed-by of theirs_api"

case_begin "adopt: in kedge.yml, per stack"
docker_cli stack rm theirs >/dev/null
rm -rf "$R/stacks/theirs"
mkdir -p "$R/stacks/late"
cat >"$R/stacks/late/compose.yml" <<'YML'
services:
  job:
    image: alpine:3.19
    command: ["sleep", "3600"]
YML
printf 'adopt: [late]\n' >>"$R/kedge.yml"
commit_all "$R" "adopt the late stack from kedge.yml"
stack_deploy late
wait_for 60 converged late || fail "stack late did not converge"
tasks late_job >"$PWD/before-late"
run_kedge apply --repo "$R" --yes
assert_rc 0
assert_out_contains "~ adopt service late_job"
assert_eq "$(owner late_job)" kedge "kedge.managed-by of late_job"
tasks late_job >"$PWD/after-late"
cmp -s "$PWD/before-late" "$PWD/after-late" || fail "tasks of late_job were replaced"

case_begin "clean up"
for s in $STACKS late; do docker_cli stack rm "$s" >/dev/null 2>&1; done
true
