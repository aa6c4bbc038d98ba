#!/bin/bash
# tests/env/docker.sh: a private Docker Engine in single-node swarm mode.
#
# Owns: starting Debian's dockerd with all its state under DIR (data root,
# exec root, socket, pid file, daemon.json, its own cgroup parent and
# docker_gwbridge name), `swarm init` on loopback with ports of its own,
# importing the busybox-static test image under kedge-test/busybox:latest and
# the names examples use, and stopping all of it again.
# Does not own: the two-node swarm (swarm2.sh, which reuses the dk_* functions
# below by sourcing this file with DK_LIB=1), or anything a test deploys.
#
#   tests/env/docker.sh start DIR   -> export DOCKER_HOST=... KEDGE_TEST_IMAGE=...
#   tests/env/docker.sh stop DIR
#
# The system's /var/run/docker.sock and /etc/docker are never used.

DK_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/env/common.sh
. "$DK_HERE/common.sh"

DK_IMAGE=kedge-test/busybox:latest
# Names the examples use. Their tasks run busybox, which is enough for a
# task to reach "running" as long as the command is a busybox applet.
DK_ALIASES="nginx:1.25 nginx:alpine nginx:latest redis:7 redis:7-alpine
postgres:15 postgres:16 alpine:3.19 alpine:latest busybox:latest"

# dk_cli D ARGS...: the docker CLI against the daemon in folder D.
dk_cli()
{
	local d=$1
	shift
	DOCKER_HOST="unix://$d/docker.sock" DOCKER_CONFIG="$d/cli" \
		DOCKER_CONTEXT='' timeout 60 docker "$@"
}

# dk_daemon_start D PREFIX... : start dockerd for folder D, run through the
# command PREFIX (empty, or nsenter/unshare for a namespaced node). Extra
# dockerd flags may follow "--" at the end of PREFIX. Waits until it answers.
dk_daemon_start()
{
	local d=$1 tag
	shift
	local prefix=() extra=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		prefix+=("$1")
		shift
	done
	[ "${1:-}" = -- ] && shift
	extra=("$@")
	mkdir -p "$d/data" "$d/exec" "$d/cli" || env_die "cannot create $d"
	echo '{}' >"$d/daemon.json"
	# Unique per folder, so two runs never share (or sweep) a cgroup.
	tag=$(printf '%s' "$d" | md5sum | cut -c1-12)
	echo "kedge-$tag" >"$d/cgroup-parent"
	# setsid: the daemon must not share the runner's process group, so an
	# interrupt at the terminal reaches the runner, which then stops it.
	setsid "${prefix[@]}" /usr/sbin/dockerd \
		--config-file "$d/daemon.json" \
		--data-root "$d/data" --exec-root "$d/exec" \
		-H "unix://$d/docker.sock" --pidfile "$d/docker.pid" \
		--storage-driver vfs --iptables=false --ip-forward=false \
		--bridge none --userland-proxy=false --shutdown-timeout 3 \
		--cgroup-parent "/$(cat "$d/cgroup-parent")" \
		"${extra[@]}" </dev/null >"$d/dockerd.log" 2>&1 &
	echo $! >"$d/launcher.pid"
	if ! env_wait_until 60 dk_cli "$d" version; then
		env_die "dockerd for $d did not answer within 60 s" "$d/dockerd.log"
	fi
}

# dk_gwbridge D NAME: create docker_gwbridge with Linux bridge NAME before
# swarm init; by default every daemon in one network namespace would share
# one bridge called docker_gwbridge.
dk_gwbridge()
{
	dk_cli "$1" network create --driver bridge \
		--opt "com.docker.network.bridge.name=$2" \
		--opt com.docker.network.bridge.enable_icc=false \
		--opt com.docker.network.bridge.enable_ip_masquerade=false \
		docker_gwbridge >/dev/null 2>"$1/gwbridge.err" ||
		env_die "cannot create docker_gwbridge for $1" "$1/gwbridge.err" \
			"$1/dockerd.log"
}

# dk_image D: import the busybox-static image and tag its aliases.
dk_image()
{
	local d=$1 root=$1/image-rootfs a
	[ -x /bin/busybox ] || env_die "/bin/busybox missing (apt-get install busybox-static)"
	mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/var/www" "$root/root"
	cp /bin/busybox "$root/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
	done
	ln -sfn bin "$root/sbin"
	mkdir -p "$root/usr"
	ln -sfn ../bin "$root/usr/bin"
	ln -sfn ../bin "$root/usr/sbin"
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
	printf 'root:x:0:\nnobody:x:65534:\n' >"$root/etc/group"
	chmod 1777 "$root/tmp"
	tar -C "$root" -c . | dk_cli "$d" import \
		--change 'ENV PATH=/bin:/sbin:/usr/bin:/usr/sbin' \
		--change 'CMD ["sh"]' - "$DK_IMAGE" >/dev/null 2>"$d/import.err" ||
		env_die "docker import of $DK_IMAGE failed" "$d/import.err" "$d/dockerd.log"
	rm -rf "$root"
	for a in $DK_ALIASES; do
		dk_cli "$d" tag "$DK_IMAGE" "$a" 2>>"$d/import.err" ||
			env_die "docker tag $a failed" "$d/import.err"
	done
}

# dk_swarm_init D ADDR: swarm init advertising ADDR, on ports of its own;
# retried with other ports when a port is taken meanwhile. Prints the
# listen port on stdout.
dk_swarm_init()
{
	local d=$1 addr=$2 p1 p2
	for _ in 1 2 3; do
		p1=$(env_free_port) && p2=$(env_free_port) || env_die "no free port"
		if dk_cli "$d" swarm init --advertise-addr "$addr" \
			--listen-addr "$addr:$p1" --data-path-port "$p2" \
			>"$d/swarm-init.out" 2>&1; then
			echo "$p1"
			return 0
		fi
		grep -q 'address already in use' "$d/swarm-init.out" || break
		echo "env/${ENV_SVC:-docker}: swarm ports $p1/$p2 taken, retrying" >&2
		dk_cli "$d" swarm leave --force >/dev/null 2>&1
	done
	env_die "docker swarm init on $addr failed" "$d/swarm-init.out" "$d/dockerd.log"
}

# dk_kill_tasks D: SIGKILL every process in D's container cgroups. Task
# containers get a 10 s stop grace period that dockerd honours even on
# shutdown; nothing in a test container needs a clean stop.
dk_kill_tasks()
{
	local cg c
	[ -s "$1/cgroup-parent" ] || return 0
	cg=$(cat "$1/cgroup-parent")
	for c in /sys/fs/cgroup/*/"$cg" /sys/fs/cgroup/unified/"$cg"; do
		[ -d "$c" ] || continue
		find "$c" -name cgroup.procs -exec cat {} + 2>/dev/null |
			sort -u | xargs -r kill -KILL 2>/dev/null
	done
	return 0
}

# dk_daemon_stop D: stop the daemon of folder D and sweep what it left.
dk_daemon_stop()
{
	local d=$1 cg c
	[ -d "$d" ] || return 0
	dk_kill_tasks "$d"
	env_stop_pidfile "$d/docker.pid" dockerd 30
	env_stop_pidfile "$d/launcher.pid" "dockerd launcher" 10
	env_sweep_procs "$d"
	dk_kill_tasks "$d"
	if [ -s "$d/cgroup-parent" ]; then
		sleep 0.2
		cg=$(cat "$d/cgroup-parent")
		for c in /sys/fs/cgroup/*/"$cg" /sys/fs/cgroup/unified/"$cg"; do
			[ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} + 2>/dev/null
		done
	fi
	env_umount_under "$d"
	# Our gwbridge, if the daemon did not remove it on the way down.
	if [ -s "$d/gwbridge-name" ]; then
		ip link del "$(cat "$d/gwbridge-name")" 2>/dev/null
	fi
	return 0
}

dk_start()
{
	local dir=$1 d=$1/node br
	mkdir -p "$d" || env_die "cannot create $d"
	dk_daemon_start "$d"
	br=kgw$(printf '%06x' $(((RANDOM << 8 ^ RANDOM ^ $$) & 0xffffff)))
	echo "$br" >"$d/gwbridge-name"
	dk_gwbridge "$d" "$br"
	dk_swarm_init "$d" 127.0.0.1 >"$d/swarm-port"
	dk_image "$d"
	echo "export DOCKER_HOST=unix://$d/docker.sock"
	echo "export KEDGE_TEST_IMAGE=$DK_IMAGE"
}

dk_stop()
{
	dk_daemon_stop "$1/node"
}

if [ "${DK_LIB:-0}" != 1 ]; then
	set -u
	env_main docker dk_start dk_stop "$@"
fi
