#!/bin/bash
# sshd.sh: an OpenSSH server on loopback that serves bare git repositories,
# for tests of ssh:// remotes.
#
# Owns: an sshd with its own config, host key, client key, known_hosts and
# pid file, all under DIR; the repositories live in DIR/git. Does not own
# the repositories' contents (tests/env/gitlib.sh makes them).
#
#   tests/env/sshd.sh start DIR   prints `export` lines (and nothing else on
#                                 stdout) once sshd answers; exit 0
#   tests/env/sshd.sh stop DIR    stops that sshd; removes nothing else
#
# Exports: KEDGE_TEST_SSH_PORT, KEDGE_TEST_SSH_KEY (client private key),
# KEDGE_TEST_KNOWN_HOSTS (the server's key as [127.0.0.1]:PORT),
# KEDGE_TEST_GIT_ROOT (DIR/git). Login is as the current user (root is
# fine: PermitRootLogin prohibit-password).
set -eu

SSHD_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ENV_SVC=sshd
# shellcheck source=tests/env/common.sh
. "$SSHD_HERE/common.sh"

die() {
	echo "env/sshd: $*" >&2
	exit 1
}

start() {
	dir=$1
	sshd=${SSHD:-/usr/sbin/sshd}
	[ -x "$sshd" ] || die "$sshd not found (apt-get install openssh-server)"
	command -v ssh-keygen >/dev/null || die "ssh-keygen not found"
	command -v git-upload-pack >/dev/null ||
		[ -x /usr/lib/git-core/git-upload-pack ] || die "git not found"
	mkdir -p "$dir/git"
	dir=$(cd "$dir" && pwd)
	stop "$dir" # a second start must not orphan the first sshd
	# sshd refuses to start without its privilege separation folder
	[ -d /run/sshd ] || mkdir -m 0755 /run/sshd
	[ -f "$dir/host_ed25519" ] ||
		ssh-keygen -q -t ed25519 -N '' -C kedge-test-host \
			-f "$dir/host_ed25519" </dev/null >/dev/null
	[ -f "$dir/client_ed25519" ] ||
		ssh-keygen -q -t ed25519 -N '' -C kedge-test-client \
			-f "$dir/client_ed25519" </dev/null >/dev/null
	cp "$dir/client_ed25519.pub" "$dir/authorized_keys"
	chmod 600 "$dir/authorized_keys" "$dir/client_ed25519"
	port=$(env_free_port) || die "cannot find a free port"
	cat >"$dir/sshd_config" <<EOF
ListenAddress 127.0.0.1:$port
HostKey $dir/host_ed25519
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
AllowTcpForwarding no
X11Forwarding no
LogLevel ERROR
EOF
	"$sshd" -t -f "$dir/sshd_config" 2>"$dir/sshd.log" ||
		die "sshd rejects its config: $(cat "$dir/sshd.log")"
	"$sshd" -f "$dir/sshd_config" -E "$dir/sshd.log" ||
		die "sshd did not start: $(cat "$dir/sshd.log")"
	printf '[127.0.0.1]:%s %s\n' "$port" \
		"$(cut -d' ' -f1-2 "$dir/host_ed25519.pub")" >"$dir/known_hosts"
	i=0
	until ssh -q -p "$port" -i "$dir/client_ed25519" \
		-o BatchMode=yes -o IdentitiesOnly=yes -o ConnectTimeout=2 \
		-o UserKnownHostsFile="$dir/known_hosts" \
		-o StrictHostKeyChecking=yes "$(id -un)@127.0.0.1" true \
		</dev/null 2>>"$dir/sshd.log"; do
		i=$((i + 1))
		[ $i -lt 50 ] || {
			stop "$dir"
			die "sshd on port $port does not answer: $(cat "$dir/sshd.log")"
		}
		sleep 0.1
	done
	echo "export KEDGE_TEST_SSH_PORT=$port"
	echo "export KEDGE_TEST_SSH_KEY=$dir/client_ed25519"
	echo "export KEDGE_TEST_KNOWN_HOSTS=$dir/known_hosts"
	echo "export KEDGE_TEST_GIT_ROOT=$dir/git"
}

stop() {
	dir=$1
	[ -f "$dir/sshd.pid" ] || return 0
	pid=$(cat "$dir/sshd.pid")
	# only the listener this script started: its pid file names it
	kill "$pid" 2>/dev/null || true
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	rm -f "$dir/sshd.pid"
}

case "${1:-}" in
start | stop)
	[ $# -eq 2 ] || die "usage: $0 start|stop DIR"
	"$1" "$2"
	;;
*)
	die "usage: $0 start|stop DIR"
	;;
esac
