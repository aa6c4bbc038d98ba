# needs: docker
# t-env-docker.sh: the harness's dockerd is real, in swarm mode, and runs
# tasks of the test image. Owns only checks of tests/env/docker.sh.

case_begin "docker info: swarm active, this node a manager"
info=$(docker_cli info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}')
assert_eq "$info" "active true" "swarm state and manager flag"
case "$DOCKER_HOST" in
unix://*/docker.sock) ;;
*) fail "DOCKER_HOST is not a private unix socket: $DOCKER_HOST" ;;
esac
[ "$DOCKER_HOST" != unix:///var/run/docker.sock ] ||
	fail "DOCKER_HOST is the system's socket"

case_begin "the test image and its aliases are local"
for img in "$KEDGE_TEST_IMAGE" nginx:1.25 redis:7 postgres:15 alpine:3.19 busybox:latest; do
	docker_cli image inspect "$img" >/dev/null || fail "image $img missing"
done

# task_state SVC: the state of the service's newest task.
task_state()
{
	docker_cli service ps "$1" --no-trunc --format '{{.CurrentState}}|{{.Error}}' |
		head -n 1
}

case_begin "a one-replica service of the test image reaches running"
svc=kedge-env-$$
docker_cli service create -d -q --name "$svc" --replicas 1 \
	"$KEDGE_TEST_IMAGE" sleep 600 >/dev/null 2>&1 || fail "service create failed"
if ! wait_for 60 sh -c "docker service ps $svc --format '{{.CurrentState}}' | grep -q '^Running'"; then
	fail "task not running within 60 s: $(task_state "$svc")"
fi
running=$(docker_cli ps --filter "label=com.docker.swarm.service.name=$svc" -q | wc -l)
assert_eq "$running" 1 "containers of $svc"
docker_cli service rm "$svc" >/dev/null || fail "service rm failed"
wait_for 30 sh -c "[ -z \"\$(docker ps -q --filter label=com.docker.swarm.service.name=$svc)\" ]" ||
	fail "container of $svc still there 30 s after service rm"

case_begin "a task whose command busybox cannot run fails (tasks are real)"
svc=kedge-env-bad-$$
docker_cli service create -d -q --name "$svc" --restart-condition none \
	"$KEDGE_TEST_IMAGE" /no/such/binary >/dev/null 2>&1 || fail "service create failed"
wait_for 60 sh -c "docker service ps $svc --format '{{.CurrentState}}' | grep -qE '^(Failed|Rejected)'" ||
	fail "task did not fail within 60 s: $(task_state "$svc")"
docker_cli service rm "$svc" >/dev/null || fail "service rm failed"
