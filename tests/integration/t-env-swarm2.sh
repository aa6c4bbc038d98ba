# needs: swarm2
# t-env-swarm2.sh: the harness's two-node swarm has a Ready worker with its
# own hostname that takes tasks. Owns only checks of tests/env/swarm2.sh.

export DOCKER_HOST=$KEDGE_TEST_SWARM2_HOST

case_begin "two nodes, both Ready, with the exported hostnames"
nodes=$(docker_cli node ls --format '{{.Hostname}} {{.Status}} {{.ManagerStatus}}' | sort)
want=$(printf '%s Ready Leader\n%s Ready \n' "$KEDGE_TEST_MANAGER_HOSTNAME" \
	"$KEDGE_TEST_WORKER_HOSTNAME" | sort)
assert_eq "$nodes" "$want" "node list"

case_begin "a service constrained to the worker runs there"
svc=kedge-w-$$
docker_cli service create -d -q --name "$svc" \
	--constraint "node.hostname==$KEDGE_TEST_WORKER_HOSTNAME" \
	"$KEDGE_TEST_IMAGE" sleep 600 >/dev/null 2>&1 || fail "service create failed"
wait_for 60 sh -c "docker service ps $svc --format '{{.CurrentState}}' | grep -q '^Running'" ||
	fail "task not running within 60 s: $(docker_cli service ps "$svc" --no-trunc --format '{{.CurrentState}} {{.Error}}')"
node=$(docker_cli service ps "$svc" --filter desired-state=running --format '{{.Node}}')
assert_eq "$node" "$KEDGE_TEST_WORKER_HOSTNAME" "node of the task"
# The container really is on the worker's engine, not the manager's.
n=$(DOCKER_HOST=$KEDGE_TEST_SWARM2_WORKER_HOST docker_cli ps -q \
	--filter "label=com.docker.swarm.service.name=$svc" | wc -l)
assert_eq "$n" 1 "containers of $svc on the worker engine"
docker_cli service rm "$svc" >/dev/null || fail "service rm failed"
