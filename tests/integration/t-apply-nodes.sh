# needs: swarm2
#
# Node labels from nodes.yml on a real two-node swarm (a manager and a
# worker in its own network namespace, hostname kedge-w1): kedge sets the
# labels it is asked for, places a service by them on the worker, removes
# only the labels it set, and refuses a nodes.yml that names a node the swarm
# does not have.

export DOCKER_HOST=$KEDGE_TEST_SWARM2_HOST
export KEDGE_STORE=$PWD/state.db
W=$KEDGE_TEST_WORKER_HOSTNAME
R=$PWD/desired
make_desired_repo "$R"

node_label() { docker_cli node inspect "$1" --format "{{index .Spec.Labels \"$2\"}}"; }

case_begin "labels from nodes.yml place a service on the worker"
docker_cli node update --label-add owner=someone-else "$W" >/dev/null
mkdir -p "$R/stacks/db"
cat >"$R/nodes.yml" <<YML
nodes:
  $W:
    labels:
      zone: edge
      disk: ssd
YML
cat >"$R/stacks/db/compose.yml" <<'YML'
services:
  store:
    image: busybox:latest
    command: ["sleep", "3600"]
    deploy:
      replicas: 2
      placement:
        constraints: ["node.labels.zone == edge"]
YML
commit_all "$R" "edge"
run_kedge diff --repo "$R"
assert_rc 1
assert_out_contains "~ update node    $W"
assert_out_contains "Labels[zone]: (none) -> edge"
run_kedge apply --repo "$R" --timeout 120
assert_rc 0
assert_eq "$(node_label "$W" zone)" "edge" "zone label"
assert_eq "$(node_label "$W" owner)" "someone-else" "foreign label kept"
nodes=$(docker_cli service ps db_store --filter desired-state=running --format '{{.Node}}' | sort -u)
assert_eq "$nodes" "$W" "tasks run on the worker only"
run_kedge diff --repo "$R"
assert_rc 0

case_begin "a label dropped from nodes.yml is removed; others' labels stay"
cat >"$R/nodes.yml" <<YML
nodes:
  $W:
    labels:
      zone: edge
YML
commit_all "$R" "no disk label"
run_kedge apply --repo "$R" --timeout 120
assert_rc 0
assert_eq "$(node_label "$W" disk)" "" "disk label removed"
assert_eq "$(node_label "$W" zone)" "edge" "zone label kept"
assert_eq "$(node_label "$W" owner)" "someone-else" "foreign label kept"

case_begin "a node the swarm does not have is refused before any write"
cat >"$R/nodes.yml" <<YML
nodes:
  $W:
    labels:
      zone: core
  no-such-node:
    labels: {zone: edge}
YML
commit_all "$R" "ghost node"
run_kedge apply --repo "$R" --yes
assert_rc 2
assert_err_contains "nodes.yml:5:3: node 'no-such-node' is not in the swarm"
assert_eq "$(node_label "$W" zone)" "edge" "nothing written"

case_begin "a constraint no node will satisfy is refused, counting planned labels"
cat >"$R/nodes.yml" <<YML
nodes:
  $W:
    labels:
      zone: core
YML
commit_all "$R" "zone core: db_store has nowhere to go"
run_kedge apply --repo "$R" --yes
assert_rc 2
assert_err_contains "no node of the swarm satisfies"
assert_eq "$(node_label "$W" zone)" "edge" "nothing written"

case_begin "another kedge instance keeps its own node labels"
O=$PWD/other
make_desired_repo "$O"
printf 'instance: ops\n' >"$O/kedge.yml"
printf 'nodes:\n  %s:\n    labels:\n      backup: "yes"\n' "$W" >"$O/nodes.yml"
commit_all "$O" "ops labels"
run_kedge apply --repo "$O" --yes
assert_rc 0
assert_eq "$(node_label "$W" backup)" "yes" "ops label"
assert_eq "$(node_label "$W" zone)" "edge" "default instance's label kept"
run_kedge diff --repo "$R"
assert_out_not_contains "Labels[backup]"
printf 'nodes: {}\n' >"$O/nodes.yml"
commit_all "$O" "ops labels gone"
run_kedge apply --repo "$O" --yes
assert_rc 0
assert_eq "$(node_label "$W" backup)" "" "ops label removed"
assert_eq "$(node_label "$W" zone)" "edge" "default instance's label still kept"

case_begin "a daemon that is not a swarm manager is a clear error"
DOCKER_HOST=$KEDGE_TEST_SWARM2_WORKER_HOST run_kedge diff --repo "$R"
assert_rc 2
assert_err_contains "not a swarm manager"
