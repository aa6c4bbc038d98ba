#!/usr/bin/env bash
# make demo: kedge's main job end to end, on a throwaway local swarm.
#
# Starts a private dockerd in swarm mode (tests/env/docker.sh), puts
# examples/quickstart into a fresh git repository, validates it, applies it,
# shows that a second diff is clean, then commits a replica change and shows
# its diff and apply, with the alert rules applied to a throwaway Prometheus
# (tests/env/prometheus.sh); then kedge run follows a webhook and repairs
# drift on the swarm and in the rules folder. Everything is removed on exit.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KEDGE=${KEDGE:-$ROOT/build/kedge}
WORK=$(mktemp -d /tmp/kedge-demo.XXXXXX)
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
cleanup() {
	"$ROOT/tests/env/prometheus.sh" stop "$WORK/prom" >/dev/null 2>&1 || true
	"$ROOT/tests/env/docker.sh" stop "$WORK/docker" >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM HUP

step "A desired-state repository from examples/quickstart"
mkdir -p "$WORK/repo"
cp -a "$ROOT/examples/quickstart/." "$WORK/repo/"
git -C "$WORK/repo" init -q -b main
git -C "$WORK/repo" -c user.name=demo -c user.email=demo@localhost add -A
git -C "$WORK/repo" -c user.name=demo -c user.email=demo@localhost commit -qm "quickstart"
git -C "$WORK/repo" log --oneline

step "kedge validate"
"$KEDGE" validate --repo "$WORK/repo"

if ! "$KEDGE" help | grep -q '^   apply'; then
	echo "(diff and apply are not built yet; the demo stops after validate)"
	exit 0
fi

step "Starting a throwaway swarm"
mkdir -p "$WORK/docker"
eval "$("$ROOT/tests/env/docker.sh" start "$WORK/docker")"
export DOCKER_HOST
docker node ls

# The quickstart labels a node called manager-1; here that is this machine.
host=$(docker node inspect self --format '{{.Description.Hostname}}')
sed -i "s/manager-1/$host/" "$WORK/repo/nodes.yml"
git -C "$WORK/repo" -c user.name=demo -c user.email=demo@localhost commit -qam "nodes: this machine"

step "kedge diff (everything is new)"
"$KEDGE" diff --repo "$WORK/repo" || true

step "kedge apply"
"$KEDGE" apply --repo "$WORK/repo" --yes --timeout 3m
docker service ls

step "kedge diff right after apply (must be clean)"
"$KEDGE" diff --repo "$WORK/repo"

step "A commit that scales web to 3"
sed -i 's/replicas: 2/replicas: 3/' "$WORK/repo/stacks/web/compose.yml"
git -C "$WORK/repo" -c user.name=demo -c user.email=demo@localhost commit -qam "web: 3 replicas"
"$KEDGE" diff --repo "$WORK/repo" || true

step "A throwaway Prometheus: alerts/ becomes its rules"
mkdir -p "$WORK/prom"
eval "$("$ROOT/tests/env/prometheus.sh" start "$WORK/prom")"
P=(--prometheus-url "$KEDGE_TEST_PROM_URL" --prometheus-rules-dir "$KEDGE_TEST_PROM_RULES_DIR")
"$KEDGE" diff --repo "$WORK/repo" "${P[@]}" || true

step "kedge apply of that commit, with the rules after the swarm"
"$KEDGE" apply --repo "$WORK/repo" --yes --timeout 3m "${P[@]}"
docker service ls
curl -s "$KEDGE_TEST_PROM_URL/api/v1/rules" | python3 -c '
import json, sys
for g in json.load(sys.stdin)["data"]["groups"]:
    print("Prometheus has loaded %s: %s" % (g["name"], ", ".join(r["name"] for r in g["rules"])))'


step "kedge run: the daemon follows the branch and repairs drift"
printf 'demo-webhook-secret\n' >"$WORK/secret"
printf 'demo-api-token\n' >"$WORK/token"
"$KEDGE" run --repo "$WORK/repo" --ref main --listen 127.0.0.1:0 \
	--state-dir "$WORK/state" --webhook-secret-file "$WORK/secret" \
	--api-token-file "$WORK/token" "${P[@]}" 2>"$WORK/run.log" &
DPID=$!
trap 'kill -TERM $DPID 2>/dev/null; wait $DPID 2>/dev/null; cleanup' EXIT
for _ in $(seq 100); do grep -q ' port=[0-9]' "$WORK/run.log" && break; sleep 0.1; done
export KEDGE_SERVER=http://127.0.0.1:$(grep -o ' port=[0-9]*' "$WORK/run.log" | head -n 1 | cut -d= -f2)
export KEDGE_API_TOKEN_FILE=$WORK/token
for _ in $(seq 120); do curl -sf "$KEDGE_SERVER/readyz" >/dev/null && break; sleep 0.5; done
"$KEDGE" status

step "A commit that scales web to 1, announced by a signed push webhook"
sed -i 's/replicas: 3/replicas: 1/' "$WORK/repo/stacks/web/compose.yml"
git -C "$WORK/repo" -c user.name=demo -c user.email=demo@localhost commit -qam "web: 1 replica"
body=$(printf '{"ref":"refs/heads/main","after":"%s"}' "$(git -C "$WORK/repo" rev-parse HEAD)")
sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac demo-webhook-secret -r | cut -d' ' -f1)
curl -s -X POST -H "X-GitHub-Event: push" -H "X-Hub-Signature-256: sha256=$sig" \
	--data-binary "$body" "$KEDGE_SERVER/hooks/github"
echo
for _ in $(seq 60); do
	[ "$(docker service inspect web_web --format '{{.Spec.Mode.Replicated.Replicas}}')" = 1 ] && break
	sleep 0.5
done
docker service ls

step "Someone scales web by hand; kedge puts it back"
docker service scale -d web_web=4 >/dev/null
for _ in $(seq 60); do
	[ "$(docker service inspect web_web --format '{{.Spec.Mode.Replicated.Replicas}}')" = 1 ] && break
	sleep 0.5
done
"$KEDGE" reconcile --wait >/dev/null || true

step "Someone edits a rule file by hand; kedge puts it back at the next check"
printf '# edited by hand\n' >>"$KEDGE_TEST_PROM_RULES_DIR/node.yml"
"$KEDGE" reconcile --wait >/dev/null || true
cmp -s "$WORK/repo/alerts/node.yml" "$KEDGE_TEST_PROM_RULES_DIR/node.yml" &&
	echo "node.yml is the repository's again"
"$KEDGE" history --limit 5
"$KEDGE" status
step "Done; the throwaway swarm is removed on exit"
