# needs: docker
#
# kedge diff and apply against a real single-node swarm: create, no-op,
# update, drift, ignore rules, config rotation, secrets kept out of output,
# pruning and its guards, collisions, impossible placement, saved plans,
# rollbacks remembered, and an apply killed with SIGKILL then run again.

STORE="$PWD/state.db"
export KEDGE_STORE=$STORE

R=$PWD/desired
make_desired_repo "$R"

# write_web REPLICAS [EXTRA-SERVICE-LINES]: the web stack.
write_web() {
	mkdir -p "$R/stacks/web/site"
	echo "<h1>hello $RANDOM</h1>" >"$R/stacks/web/site/index.html.new"
	[ -f "$R/stacks/web/site/index.html" ] || mv "$R/stacks/web/site/index.html.new" "$R/stacks/web/site/index.html"
	rm -f "$R/stacks/web/site/index.html.new"
	printf 's3cr3t-do-not-print\n' >"$R/stacks/web/db_password"
	cat >"$R/stacks/web/compose.yml" <<YML
version: "3.8"
services:
  web:
    image: nginx:1.25
    command: ["httpd", "-f", "-p", "8080", "-h", "/srv"]
    environment:
      MODE: production
    networks: [front]
    configs:
      - source: site
        target: /srv/index.html
    secrets: [db_password]
    deploy:
      replicas: $1
      labels:
        team: web
${2:-}
networks:
  front:
    driver: overlay
configs:
  site:
    file: ./site/index.html
secrets:
  db_password:
    file: ./db_password
YML
}

write_worker() {
	mkdir -p "$R/stacks/worker"
	cat >"$R/stacks/worker/compose.yml" <<'YML'
services:
  worker:
    image: busybox:latest
    command: ["sleep", "3600"]
    deploy:
      replicas: 1
      placement:
        constraints: ["node.role == manager"]
      resources:
        limits: {cpus: "0.25", memory: 64M}
YML
}

svc_version() { docker_cli service inspect "$1" --format '{{.Version.Index}}' 2>/dev/null; }
running() { docker_cli service ls --filter "name=$1" --format '{{.Replicas}}' 2>/dev/null; }

case_begin "first apply creates everything and converges"
write_web 2
write_worker
commit_all "$R" "web and worker"
run_kedge diff --repo "$R"
assert_rc 1
assert_out_contains "+ create service web_web"
assert_out_contains "+ create network web_front"
assert_out_not_contains "s3cr3t-do-not-print"
run_kedge apply --repo "$R" --timeout 120
assert_rc 0
assert_out_contains "Applied"
assert_out_not_contains "s3cr3t-do-not-print"
assert_err_not_contains "s3cr3t-do-not-print"
assert_eq "$(running web_web)" "2/2" "web_web replicas"
assert_eq "$(running worker_worker)" "1/1" "worker replicas"
assert_eq "$(docker_cli service inspect web_web --format '{{index .Spec.Labels "com.docker.stack.namespace"}}')" "web" "stack label"
assert_eq "$(docker_cli service inspect web_web --format '{{index .Spec.Labels "kedge.managed-by"}}')" "kedge" "owner label"
docker_cli stack ls | grep -q '^web ' || fail "docker stack ls does not list the web stack"

case_begin "right after apply, diff reports nothing and apply writes nothing"
v1=$(svc_version web_web)
run_kedge diff --repo "$R"
assert_rc 0
assert_out_contains "No changes"
run_kedge apply --repo "$R"
assert_rc 0
assert_out_contains "No changes"
assert_eq "$(svc_version web_web)" "$v1" "service version after a no-op apply"

case_begin "a replica change in a commit is exactly one field"
write_web 3
commit_all "$R" "web: 3"
run_kedge diff --repo "$R"
assert_rc 1
assert_out_contains "~ update service web_web"
assert_out_contains "Replicas: 2 -> 3"
run_kedge diff --repo "$R" --output json
assert_rc 1
printf '%s' "$OUT" | python3 -c 'import json,sys; p=json.load(sys.stdin); assert p["format"]==2 and p["summary"]["update"]==1, p' || fail "json plan"
run_kedge apply --repo "$R" --timeout 120
assert_rc 0
assert_eq "$(running web_web)" "3/3" "web_web replicas after scale"

case_begin "manual drift shows up as exactly that field"
docker_cli service scale -d web_web=1 >/dev/null
docker_cli service update -d --env-add DRIFT=yes web_web >/dev/null
run_kedge diff --repo "$R"
assert_rc 1
assert_out_contains "Replicas: 1 -> 3"
assert_out_contains "DRIFT"
run_kedge apply --repo "$R" --timeout 120
assert_rc 0
run_kedge diff --repo "$R"
assert_rc 0

case_begin "ignored fields are left to whoever owns them"
write_web 3 "    x-kedge:
      ignore: [deploy.replicas]"
commit_all "$R" "ignore replicas"
run_kedge apply --repo "$R" --timeout 120
assert_rc 0
docker_cli service scale -d web_web=2 >/dev/null
run_kedge diff --repo "$R"
assert_rc 0
assert_out_contains "No changes"

case_begin "a config change rotates the config and prunes the old one"
old=$(docker_cli config ls --format '{{.Name}}' | grep '^web_site_')
echo "<h1>new</h1>" >"$R/stacks/web/site/index.html"
commit_all "$R" "new page"
run_kedge apply --repo "$R" --timeout 120
assert_rc 0
new=$(docker_cli config ls --format '{{.Name}}' | grep '^web_site_')
[ -n "$new" ] && [ "$new" != "$old" ] || fail "config was not rotated ($old -> $new)"
[ "$(printf '%s\n' "$new" | wc -l)" = 1 ] || fail "old config left behind: $new"

case_begin "a removal without a terminal needs --yes, and nothing changes without it"
rm -rf "$R/stacks/worker"
commit_all "$R" "drop worker"
run_kedge apply --repo "$R" </dev/null
assert_rc 2
assert_err_contains "--yes"
assert_eq "$(running worker_worker)" "1/1" "worker still there"
run_kedge apply --repo "$R" --yes --timeout 120
assert_rc 0
assert_out_contains "- remove service worker_worker"
[ -z "$(docker_cli service ls -q --filter name=worker_worker)" ] || fail "worker_worker not removed"

case_begin "x-kedge prune: false and kedge.yml prune: false keep what leaves the repository"
mkdir -p "$R/stacks/keep"
printf 'services:\n  pinned:\n    image: busybox:latest\n    command: ["sleep", "3600"]\n    deploy: {replicas: 0}\n    x-kedge: {prune: false}\n  loose:\n    image: busybox:latest\n    command: ["sleep", "3600"]\n    deploy: {replicas: 0}\n' >"$R/stacks/keep/compose.yml"
commit_all "$R" "keep"
run_kedge apply --repo "$R" --yes --timeout 60
assert_rc 0
rm -rf "$R/stacks/keep"
printf 'prune: false\n' >"$R/kedge.yml"
commit_all "$R" "keep gone, pruning off"
run_kedge diff --repo "$R"
assert_out_not_contains "- remove"
rm "$R/kedge.yml"
commit_all "$R" "pruning on"
run_kedge apply --repo "$R" --yes --timeout 60
assert_rc 0
assert_out_contains "- remove service keep_loose"
assert_out_not_contains "keep_pinned"
[ -n "$(docker_cli service ls -q --filter name=keep_pinned)" ] || fail "keep_pinned was pruned"
[ -z "$(docker_cli service ls -q --filter name=keep_loose)" ] || fail "keep_loose was not pruned"
docker_cli service rm keep_pinned >/dev/null
wait_for 30 docker_cli network rm keep_default >/dev/null 2>&1 || fail "cannot remove keep_default"

case_begin "an empty desired state is never pruned without --allow-empty"
rm -rf "$R/stacks"
mkdir -p "$R/alerts"
printf 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n' >"$R/alerts/a.yml"
commit_all "$R" "no stacks"
run_kedge apply --repo "$R" --yes
assert_rc 2
assert_err_contains "refusing to remove all"
[ -n "$(docker_cli service ls -q --filter name=web_web)" ] || fail "web_web was removed"
git -C "$R" revert --no-edit HEAD >/dev/null

case_begin "a service kedge does not own is never overwritten"
docker_cli service create -d --name other_api nginx:1.25 sleep 3600 >/dev/null
mkdir -p "$R/stacks/other"
printf 'services:\n  api:\n    image: nginx:1.25\n    command: ["sleep", "60"]\n' >"$R/stacks/other/compose.yml"
commit_all "$R" "collide"
run_kedge apply --repo "$R" --yes
assert_rc 2
assert_err_contains "not managed by this kedge"
assert_err_contains "nothing was changed"
assert_eq "$(docker_cli service inspect other_api --format '{{index .Spec.Labels "kedge.managed-by"}}')" "" "foreign service untouched"
docker_cli service rm other_api >/dev/null
rm -rf "$R/stacks/other"
commit_all "$R" "no collision"

case_begin "a published port another service holds is refused before any write"
docker_cli service create -d --name squatter --publish 18181:80 nginx:1.25 sleep 3600 >/dev/null
mkdir -p "$R/stacks/ports"
printf 'services:\n  api:\n    image: nginx:1.25\n    command: ["sleep", "60"]\n    ports: ["18181:80"]\n' >"$R/stacks/ports/compose.yml"
commit_all "$R" "port clash"
run_kedge apply --repo "$R" --yes
assert_rc 2
assert_err_contains "stacks/ports/compose.yml:5:"
assert_err_contains "published port 18181/tcp is already used by service 'squatter'"
[ -z "$(docker_cli network ls -q --filter name=ports_default)" ] || fail "ports_default network was created"
docker_cli service rm squatter >/dev/null
rm -rf "$R/stacks/ports"
commit_all "$R" "no port clash"

case_begin "impossible placement is refused before any write"
mkdir -p "$R/stacks/mars"
printf 'services:\n  rover:\n    image: busybox:latest\n    command: ["sleep", "60"]\n    deploy:\n      placement:\n        constraints: ["node.labels.planet == mars"]\n' >"$R/stacks/mars/compose.yml"
commit_all "$R" "mars"
run_kedge apply --repo "$R" --yes
assert_rc 2
assert_err_contains "stacks/mars/compose.yml:7:"
assert_err_contains "no node of the swarm satisfies"
[ -z "$(docker_cli service ls -q --filter name=mars_rover)" ] || fail "mars_rover was created"
rm -rf "$R/stacks/mars"
commit_all "$R" "no mars"

case_begin "a saved plan applies exactly, and a stale one is refused"
write_web 4
commit_all "$R" "web: 4, no ignore"
run_kedge diff --repo "$R" --save "$PWD/plan.json"
assert_rc 1
docker_cli service scale -d web_web=2 >/dev/null
run_kedge apply --repo "$R" --plan "$PWD/plan.json" --yes
assert_rc 2
assert_err_contains "stale"
run_kedge diff --repo "$R" --save "$PWD/plan.json"
run_kedge apply --repo "$R" --plan "$PWD/plan.json" --yes --timeout 120
assert_rc 0
assert_eq "$(running web_web)" "4/4" "web_web after saved plan"

case_begin "a rollback is reported, remembered, and not retried"
mkdir -p "$R/stacks/flaky"
cat >"$R/stacks/flaky/compose.yml" <<'YML'
services:
  app:
    image: busybox:latest
    command: ["sleep", "3600"]
    healthcheck: {test: ["CMD", "true"], interval: 1s, retries: 1}
    deploy:
      replicas: 1
      update_config: {failure_action: rollback, monitor: 3s}
YML
commit_all "$R" "flaky"
run_kedge apply --repo "$R" --timeout 120
assert_rc 0
sed -i 's/"sleep", "3600"/"false"/' "$R/stacks/flaky/compose.yml"
commit_all "$R" "flaky: broken command"
run_kedge apply --repo "$R" --timeout 90
assert_rc 3
assert_out_contains "rolled back"
v=$(svc_version flaky_app)
run_kedge apply --repo "$R" --timeout 30
assert_rc 3
assert_out_contains "failed before"
assert_eq "$(svc_version flaky_app)" "$v" "no write for a spec that failed before"
rm -rf "$R/stacks/flaky"
commit_all "$R" "no flaky"
run_kedge apply --repo "$R" --yes --timeout 60

case_begin "an apply killed with SIGKILL converges when run again"
for i in 1 2 3 4 5 6; do
	mkdir -p "$R/stacks/bulk$i"
	printf 'services:\n  a:\n    image: busybox:latest\n    command: ["sleep", "3600"]\n    deploy: {replicas: 0}\n  b:\n    image: busybox:latest\n    command: ["sleep", "3600"]\n    deploy: {replicas: 0}\nconfigs:\n  c:\n    file: ./c.txt\n' >"$R/stacks/bulk$i/compose.yml"
	echo "bulk $i" >"$R/stacks/bulk$i/c.txt"
done
commit_all "$R" "bulk"
"$KEDGE" apply --repo "$R" --yes --timeout 60 >"$PWD/killed.out" 2>&1 &
pid=$!
wait_for 30 grep -q ": done" "$PWD/killed.out"
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
run_kedge apply --repo "$R" --yes --timeout 120
assert_rc 0
run_kedge diff --repo "$R"
assert_rc 0
assert_out_contains "No changes"

case_begin "an unreachable daemon is a clear error"
DOCKER_HOST=unix://$PWD/nothing.sock run_kedge diff --repo "$R"
assert_rc 2
assert_err_contains "cannot connect to the Docker daemon"

case_begin "two kedge instances share a swarm without touching each other"
A=$PWD/team-a
B=$PWD/team-b
for x in "$A:a" "$B:b"; do
	dir=${x%%:*} inst=${x##*:}
	make_desired_repo "$dir"
	mkdir -p "$dir/stacks/team$inst"
	printf 'instance: %s\nlabels: {com.example.team: %s}\n' "$inst" "$inst" >"$dir/kedge.yml"
	printf 'services:\n  app:\n    image: busybox:latest\n    command: ["sleep", "3600"]\n    deploy: {replicas: 0}\n' >"$dir/stacks/team$inst/compose.yml"
	commit_all "$dir" "instance $inst"
done
run_kedge apply --repo "$A" --yes --timeout 60
assert_rc 0
run_kedge apply --repo "$B" --yes --timeout 60
assert_rc 0
assert_out_not_contains "- remove"
[ -n "$(docker_cli service ls -q --filter name=teama_app)" ] || fail "instance b pruned instance a's service"
assert_eq "$(docker_cli service inspect teamb_app --format '{{index .Spec.Labels "kedge.managed-by"}}')" "b" "owner label"
assert_eq "$(docker_cli service inspect teamb_app --format '{{index .Spec.Labels "com.example.team"}}')" "b" "kedge.yml labels on the service"
assert_eq "$(docker_cli service inspect teamb_app --format '{{index .Spec.TaskTemplate.ContainerSpec.Labels "com.example.team"}}')" "" "kedge.yml labels not on the task template"
mkdir -p "$B/stacks/teama"
cp "$A/stacks/teama/compose.yml" "$B/stacks/teama/"
commit_all "$B" "b claims a's stack"
run_kedge apply --repo "$B" --yes
assert_rc 2
assert_err_contains "it belongs to kedge instance 'a'"
for dir in "$A" "$B"; do
	git -C "$dir" rm -rq stacks
	commit_all "$dir" "empty"
	run_kedge apply --repo "$dir" --yes --allow-empty --timeout 60
	assert_rc 0
done

case_begin "clean up: every stack removed with --allow-empty"
git -C "$R" rm -rq stacks
mkdir -p "$R/alerts"
printf 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n' >"$R/alerts/a.yml"
commit_all "$R" "remove all stacks"
run_kedge apply --repo "$R" --yes --allow-empty --timeout 120
assert_rc 0
[ -z "$(docker_cli service ls -q --filter label=kedge.managed-by=kedge)" ] || fail "kedge services left behind"
