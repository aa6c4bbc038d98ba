#!/bin/bash
# tests/env/swarm2.sh: a private two-node swarm (manager + one worker).
#
# Owns: a network namespace and veth pair on a private 10.231.X.0/24 that no
# interface or route on the machine uses yet, the manager dockerd (host
# network namespace, own UTS namespace, hostname kedge-m1), the worker
# dockerd inside the namespace (own UTS namespace, hostname kedge-w1), swarm
# init on ports of its own, the join, and the test image on both nodes.
# Does not own: the dockerd plumbing itself (the dk_* functions of docker.sh).
#
#   tests/env/swarm2.sh start DIR   -> export KEDGE_TEST_SWARM2_HOST=... etc.
#   tests/env/swarm2.sh stop DIR
#
# Killing the worker's dockerd (pid in $DIR/w1/docker.pid) is a real node
# failure; KEDGE_TEST_SWARM2_WORKER_HOST reaches the worker directly.

S2_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/env/docker.sh
DK_LIB=1 . "$S2_HERE/docker.sh"

S2_MANAGER=kedge-m1
S2_WORKER=kedge-w1

# s2_net DIR: make the namespace and veth pair; records names in DIR/net.
s2_net()
{
	local dir=$1 x id ns vh vw
	for _ in $(seq 1 20); do
		x=$((RANDOM % 250 + 2))
		ip -4 addr show | grep -q "inet 10\.231\.$x\." && continue
		ip -4 route show | grep -q "^10\.231\.$x\." && continue
		id=$(printf '%06x' $(((RANDOM << 9 ^ RANDOM ^ $$) & 0xffffff)))
		ns=kedge-w1-$id vh=kvh$id vw=kvw$id
		ip netns add "$ns" 2>/dev/null || continue
		# Written at once, so stop can undo a half-made network.
		printf 'NS=%s\nVH=%s\nVW=%s\nNET=10.231.%s\n' "$ns" "$vh" "$vw" \
			"$x" >"$dir/net"
		ip link add "$vh" type veth peer name "$vw" 2>"$dir/net.err" ||
			env_die "ip link add $vh failed" "$dir/net.err"
		ip link set "$vw" netns "$ns" &&
			ip addr add "10.231.$x.1/24" dev "$vh" &&
			ip link set "$vh" up &&
			ip -n "$ns" addr add "10.231.$x.2/24" dev "$vw" &&
			ip -n "$ns" link set "$vw" up &&
			ip -n "$ns" link set lo up 2>>"$dir/net.err" ||
			env_die "cannot configure veth $vh/$vw" "$dir/net.err"
		return 0
	done
	env_die "no free 10.231.X.0/24 or namespace name after 20 tries"
}

s2_nodes_ready()
{
	local st
	st=$(dk_cli "$1" node ls --format '{{.Hostname}}={{.Status}}' 2>/dev/null |
		sort | tr '\n' ' ')
	[ "$st" = "$S2_MANAGER=Ready $S2_WORKER=Ready " ]
}

s2_start()
{
	local dir=$1 m=$1/mgr w=$1/w1 br port token
	mkdir -p "$m" "$w" || env_die "cannot create $m or $w"
	s2_net "$dir"
	# shellcheck disable=SC1091
	. "$dir/net"
	dk_daemon_start "$m" unshare --uts sh -c 'hostname "$0" && exec "$@"' \
		"$S2_MANAGER"
	br=kgw${VH#kvh}
	echo "$br" >"$m/gwbridge-name"
	dk_gwbridge "$m" "$br"
	dk_daemon_start "$w" nsenter "--net=/var/run/netns/$NS" unshare --uts \
		sh -c 'hostname "$0" && exec "$@"' "$S2_WORKER"
	port=$(dk_swarm_init "$m" "$NET.1") || exit 1
	echo "$port" >"$m/swarm-port"
	token=$(dk_cli "$m" swarm join-token -q worker) ||
		env_die "cannot read the worker join token" "$m/dockerd.log"
	dk_cli "$w" swarm join --token "$token" --advertise-addr "$NET.2" \
		"$NET.1:$port" >"$w/join.out" 2>&1 ||
		env_die "worker could not join $NET.1:$port" "$w/join.out" \
			"$w/dockerd.log" "$m/dockerd.log"
	env_wait_until 60 s2_nodes_ready "$m" ||
		env_die "nodes not both Ready within 60 s: $(dk_cli "$m" node ls 2>&1 | tr '\n' ';')" \
			"$w/dockerd.log"
	dk_image "$m"
	dk_image "$w"
	echo "export KEDGE_TEST_SWARM2_HOST=unix://$m/docker.sock"
	echo "export KEDGE_TEST_IMAGE=$DK_IMAGE"
	echo "export KEDGE_TEST_SWARM2_WORKER_HOST=unix://$w/docker.sock"
	echo "export KEDGE_TEST_MANAGER_HOSTNAME=$S2_MANAGER"
	echo "export KEDGE_TEST_WORKER_HOSTNAME=$S2_WORKER"
}

s2_stop()
{
	local dir=$1 NS='' VH=''
	dk_daemon_stop "$dir/w1"
	dk_daemon_stop "$dir/mgr"
	if [ -s "$dir/net" ]; then
		# shellcheck disable=SC1091
		. "$dir/net"
		[ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
		[ -n "$VH" ] && ip link del "$VH" 2>/dev/null
	fi
	env_umount_under "$dir"
	return 0
}


set -u
env_main swarm2 s2_start s2_stop "$@"
