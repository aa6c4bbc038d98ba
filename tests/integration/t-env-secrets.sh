# needs: docker
#
# What of kedge's environment and of a stack's .env reaches the swarm and
# the terminal: kedge's git token never reaches a service (only the names
# kedge.yml lists under env_passthrough do), and a password changed in .env
# shows in kedge diff as a change of hash, never in clear, unless
# --show-env asks; a URL's password not even then.

export KEDGE_STORE=$PWD/state.db
export KEDGE_GIT_TOKEN=ghp_SECRET123
export FOO=foo-through
export BAR=bar-not-listed

R=$PWD/desired
make_desired_repo "$R"
mkdir -p "$R/stacks/app"
printf 'env_passthrough: [FOO]\n' >"$R/kedge.yml"
cat >"$R/stacks/app/compose.yml" <<'YML'
services:
  app:
    image: busybox:latest
    command: ["sleep", "3600"]
    labels:
      note: "token=${KEDGE_GIT_TOKEN}"
      bar: "bar=${BAR}"
    environment:
      DB_PASSWORD: "${DB_PASSWORD}"
      DB_URL: "postgres://app:${DB_PASSWORD}@db:5432/app"
      KEDGE_GIT_TOKEN:
      FOO:
      BAR:
YML
printf 'DB_PASSWORD=old-pass-111\n' >"$R/stacks/app/.env"
commit_all "$R" "app"

case_begin "kedge's git token and unlisted variables never reach a service"
run_kedge apply --repo "$R" --timeout 120
assert_rc 0
live=$(docker_cli service inspect app_app)
case "$live" in *ghp_SECRET123*) fail "the git token reached the live service" ;; esac
case "$live" in *bar-not-listed*) fail "an unlisted variable reached the live service" ;; esac
labels=$(docker_cli service inspect app_app --format '{{json .Spec.TaskTemplate.ContainerSpec.Labels}}')
assert_eq "$labels" '{"bar":"bar=","com.docker.stack.namespace":"app","note":"token="}'
assert_err_contains "stacks/app/compose.yml:6:13: warning: variable 'KEDGE_GIT_TOKEN' is not set (by the stack's .env or kedge.yml's env_passthrough)"
env=$(docker_cli service inspect app_app --format '{{json .Spec.TaskTemplate.ContainerSpec.Env}}')
assert_eq "$env" '["BAR","DB_PASSWORD=old-pass-111","DB_URL=postgres://app:old-pass-111@db:5432/app","FOO=foo-through","KEDGE_GIT_TOKEN"]'

case_begin "a password changed in .env is a hash in kedge diff, text and JSON"
printf 'DB_PASSWORD=new-pass-222\n' >"$R/stacks/app/.env"
commit_all "$R" "rotate the password"
run_kedge diff --repo "$R"
assert_rc 1
assert_out_contains "TaskTemplate.ContainerSpec.Env[DB_PASSWORD]: (env sha256:"
assert_out_contains "TaskTemplate.ContainerSpec.Env[DB_URL]: (env sha256:"
assert_out_not_contains "old-pass-111"
assert_out_not_contains "new-pass-222"
run_kedge diff --repo "$R" --output json --save "$PWD/plan.json"
assert_rc 1
assert_out_contains '"old": "(env sha256:'
assert_out_not_contains "old-pass-111"
assert_out_not_contains "new-pass-222"
grep -q "pass-[12]" "$PWD/plan.json" && fail "the saved plan holds a password"

case_begin "--show-env shows the values, but a URL's password never"
run_kedge diff --repo "$R" --show-env
assert_rc 1
assert_out_contains "Env[DB_PASSWORD]: old-pass-111 -> new-pass-222"
assert_out_contains "Env[DB_URL]: postgres://app:***@db:5432/app -> postgres://app:***@db:5432/app"
run_kedge diff --repo "$R" --show-env --output json
assert_out_contains '"new": "new-pass-222"'
assert_out_not_contains "app:new-pass-222@"
run_kedge apply --repo "$R" --timeout 120
assert_rc 0
assert_out_not_contains "new-pass-222"
