# needs: docker
#
# Equivalence on real-world stacks: each folder of equivalence/corpus/
# (public Swarm stack files, origin and licence in its SOURCE) is deployed
# by `docker stack deploy --resolve-image never` and then, after that stack
# is removed, by kedge (apply --detach: specs are compared, tasks need not
# converge, so images that are not present locally do not matter). The
# services' specs must be equal after compare.py's normalisation, and
# `kedge diff` must be clean right after the apply. A stack whose folder
# has a KNOWN file is one kedge refuses for a documented reason: the test
# asserts that refusal instead. The last case prints "corpus: N of M
# stacks equal".

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
EQ=$ROOT/tests/integration/equivalence
export KEDGE_STORE=$PWD/state.db

# One repository per stack, so that one stack kedge refuses does not stop
# the others from being compared.
names=""
for d in "$EQ"/corpus/*/; do
	name=$(basename "$d")
	short=c$(printf '%s' "$name" | tr -cd 'a-z0-9' | cut -c1-20)
	R=$PWD/desired-$short
	make_desired_repo "$R"
	mkdir -p "$R/stacks/k$short"
	cp -a "$d/." "$R/stacks/k$short/"
	rm -f "$R/stacks/k$short/SOURCE" "$R/stacks/k$short/KNOWN"
	commit_all "$R" "corpus $name"
	names="$names $name=$short"
done

# Several stacks of the corpus join an external network of this name, and
# openfaas reads two external secrets.
docker_cli network create --driver overlay --attachable proxy >/dev/null ||
	fail "cannot create the external network proxy"
for s in basic-auth-user basic-auth-password; do
	echo stand-in | docker_cli secret create "$s" - >/dev/null || fail "cannot create secret $s"
done
netgone() { [ -z "$(docker_cli network ls -q --filter "name=^$1\$")" ]; }

netmap() {
	docker_cli network ls --format '{{.ID}}' | while read -r id; do
		printf '%s,' "$(docker_cli network inspect "$id" --format '{{.ID}}={{.Name}}')"
	done
}

svcs() { docker_cli service ls --filter "label=com.docker.stack.namespace=$1" --format '{{.Name}}'; }

equal=0 total=0
for pair in $names; do
	name=${pair%%=*} short=${pair#*=}
	total=$((total + 1))
	R=$PWD/desired-$short
	ok=1
	case_begin "docker stack deploy and kedge agree on corpus stack $name"
	sderr=$PWD/sd.err
	# dogvscat-proxy creates the network the others take as external.
	if grep -q '^    name: proxy$' "$R/stacks/k$short/compose.yml"; then
		docker_cli network rm proxy >/dev/null
	fi
	if ! (cd "$R/stacks/k$short" && set -a && { [ ! -f .env ] || . ./.env; } && set +a &&
		docker_cli stack deploy --resolve-image never -c compose.yml "s$short" >/dev/null 2>"$sderr"); then
		fail "docker stack deploy failed: $(cat "$sderr")"
		docker_cli stack rm "s$short" >/dev/null 2>&1
		continue
	fi
	NETMAP=$(netmap)
	mkdir -p "$PWD/s$short"
	for svc in $(svcs "s$short"); do
		docker_cli service inspect "$svc" >"$PWD/s$short/${svc#s"$short"_}.json"
	done
	# Published ports are cluster-wide: services are removed before kedge
	# deploys the same ones (stack rm deletes them before it returns).
	docker_cli stack rm "s$short" >/dev/null
	if grep -q '^    name: proxy$' "$R/stacks/k$short/compose.yml"; then
		wait_for 60 netgone proxy || fail "network proxy was not removed"
	fi
	run_kedge apply --repo "$R" --stack "k$short" --detach
	known=$EQ/corpus/$name/KNOWN
	if [ -f "$known" ]; then
		# A documented refusal (docs/compose-support.md): kedge must
		# refuse with that message; once it no longer does, the stack
		# is compared like the others and KNOWN must go.
		case_begin "kedge refuses corpus stack $name as documented"
		[ "$RC" != 0 ] || fail "kedge no longer refuses $name: remove $known"
		assert_err_contains "$(cat "$known")"
		for svc in $(svcs "k$short"); do docker_cli service rm "$svc" >/dev/null; done
		continue
	fi
	if [ "$RC" != 0 ]; then
		fail "kedge apply failed: $ERR"
		ok=0
	fi
	NETMAP="$NETMAP,$(netmap)"
	export NETMAP
	for f in "$PWD/s$short"/*.json; do
		[ "$ok" = 1 ] || break
		svc=$(basename "$f" .json)
		if ! docker_cli service inspect "k${short}_$svc" >"$PWD/b.json" 2>/dev/null; then
			fail "kedge did not create k${short}_$svc"
			ok=0
			continue
		fi
		if ! out=$(python3 "$EQ/compare.py" "$f" "$PWD/b.json" "s$short" "k$short" "$EQ/allowed.txt"); then
			fail "service $svc differs from docker stack deploy:
$out"
			ok=0
		fi
	done
	if [ "$ok" = 1 ]; then
		case_begin "right after apply, kedge diff is clean for corpus stack $name"
		run_kedge diff --repo "$R" --stack "k$short"
		assert_rc 0
		assert_out_contains "No changes"
		[ "$RC" = 0 ] || ok=0
	fi
	[ "$ok" = 1 ] && equal=$((equal + 1))
	for svc in $(svcs "k$short"); do docker_cli service rm "$svc" >/dev/null; done
done

case_begin "corpus: $equal of $total stacks equal docker stack deploy"
echo "corpus: $equal of $total stacks equal" >&2
