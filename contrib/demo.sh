#!/usr/bin/env bash
# make demo: kedge's main job end to end, on a throwaway local swarm.
#
# Starts a private dockerd in swarm mode (tests/env/docker.sh), puts
# examples/quickstart into a fresh git repository, validates it, applies it,
# shows that a second diff is clean, then commits a replica change and shows
# its diff and apply. Everything is removed on exit.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KEDGE=${KEDGE:-$ROOT/build/kedge}
WORK=$(mktemp -d /tmp/kedge-demo.XXXXXX)
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
cleanup() {
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

step "kedge apply of that commit"
"$KEDGE" apply --repo "$WORK/repo" --yes --timeout 3m
docker service ls
step "Done; the throwaway swarm is removed on exit"
