# needs: docker
#
# Equivalence with the reference implementation: each example stack is
# deployed by `docker stack deploy` into one namespace and by kedge into
# another, and the services' specs must be the same once both are
# normalised (namespace, network IDs, hashed config names). Every accepted
# difference is listed in equivalence/allowed.txt and explained in
# docs/compose-support.md.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
EQ=$ROOT/tests/integration/equivalence
R=$PWD/desired
make_desired_repo "$R"
export KEDGE_STORE=$PWD/state.db

# stack dirs to compare: the quickstart's and the kitchen sink
pairs=""
for d in "$ROOT"/examples/quickstart/stacks/* "$EQ/sink"; do
	name=$(basename "$d")
	mkdir -p "$R/stacks/kd$name"
	cp -a "$d/." "$R/stacks/kd$name/"
	pairs="$pairs $name"
done
commit_all "$R" "equivalence"

netmap() {
	docker_cli network ls --format '{{.ID}}' | while read -r id; do
		full=$(docker_cli network inspect "$id" --format '{{.ID}}={{.Name}}')
		printf '%s,' "$full"
	done
}

gone() { [ -z "$(docker_cli service ls -q --filter "label=com.docker.stack.namespace=$1")" ] &&
	[ -z "$(docker_cli network ls -q --filter "label=com.docker.stack.namespace=$1")" ]; }
# A network goes only after its tasks are gone, and the data stack's task
# ignores SIGTERM for its stop_grace_period (1m); stack rm may also give up
# on a network whose tasks are still shutting down, so ask again until the
# stack is gone.
removed() { gone "$1" || { docker_cli stack rm "$1" >/dev/null 2>&1; false; }; }

for name in $pairs; do
	case_begin "docker stack deploy and kedge agree on stack $name"
	# stack deploy interpolates from its environment only; kedge also
	# reads the stack's .env, so give the CLI the same variables.
	sderr=$PWD/sd.err
	(cd "$R/stacks/kd$name" && set -a && { [ ! -f .env ] || . ./.env; } && set +a &&
		docker_cli stack deploy --resolve-image never -c compose.yml "sd$name" >/dev/null 2>"$sderr") ||
		fail "docker stack deploy failed: $(cat "$sderr")"
	NETMAP=$(netmap)
	export NETMAP
	mkdir -p "$PWD/sd$name"
	for svc in $(docker_cli service ls --filter "label=com.docker.stack.namespace=sd$name" --format '{{.Name}}'); do
		docker_cli service inspect "$svc" >"$PWD/sd$name/${svc#sd"$name"_}.json"
	done
	# Published ports are cluster-wide: take the reference stack down
	# before kedge deploys the same one.
	docker_cli stack rm "sd$name" >/dev/null
	wait_for 150 removed "sd$name" || fail "docker stack rm sd$name did not finish: $(docker_cli stack rm "sd$name" 2>&1; docker_cli service ls --filter "label=com.docker.stack.namespace=sd$name"; docker_cli network ls --filter "label=com.docker.stack.namespace=sd$name")"
	run_kedge apply --repo "$R" --stack "kd$name" --detach
	assert_rc 0
	NETMAP="$NETMAP,$(netmap)"
	for f in "$PWD/sd$name"/*.json; do
		short=$(basename "$f" .json)
		if ! docker_cli service inspect "kd${name}_$short" >"$PWD/b.json" 2>/dev/null; then
			fail "kedge did not create kd${name}_$short"
			continue
		fi
		if ! out=$(python3 "$EQ/compare.py" "$f" "$PWD/b.json" "sd$name" "kd$name" "$EQ/allowed.txt"); then
			fail "service $short differs from docker stack deploy:
$out"
		fi
	done
	case_begin "right after apply, kedge diff is clean for stack $name"
	run_kedge diff --repo "$R" --stack "kd$name"
	assert_rc 0
	assert_out_contains "No changes"
done
