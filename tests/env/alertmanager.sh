#!/bin/bash
# tests/env/alertmanager.sh: a private Alertmanager on loopback.
#
# Owns: a minimal DIR/alertmanager.yml (one receiver, no integrations), the
# notification log and silences under DIR/data (--storage.path), and the
# server on 127.0.0.1:PORT with gossip off (--cluster.listen-address= empty),
# so two runs on one host never find each other. POST /-/reload is always
# enabled in Alertmanager. Does not own: the configuration kedge writes later
# (tests change DIR/alertmanager.yml and DIR/templates/ through kedge).
#
#   tests/env/alertmanager.sh start DIR
#     -> export KEDGE_TEST_AM_URL=http://127.0.0.1:PORT
#        export KEDGE_TEST_AM_CONFIG=DIR/alertmanager.yml
#   tests/env/alertmanager.sh stop DIR

AM_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/env/common.sh
. "$AM_HERE/common.sh"

AM_BIN=/usr/bin/prometheus-alertmanager

am_ready()
{
	curl -fsS --max-time 2 "$1/-/ready"
}

# am_try DIR PORT: one attempt to start on PORT; 0 when it answers /-/ready.
am_try()
{
	local dir=$1 port=$2 url=http://127.0.0.1:$2 pid end
	setsid "$AM_BIN" --config.file="$dir/alertmanager.yml" \
		--storage.path="$dir/data" \
		--web.listen-address="127.0.0.1:$port" \
		--cluster.listen-address= \
		</dev/null >"$dir/alertmanager.log" 2>&1 &
	pid=$!
	echo "$pid" >"$dir/alertmanager.pid"
	end=$((SECONDS + 60))
	while [ "$SECONDS" -lt "$end" ]; do
		am_ready "$url" >/dev/null 2>&1 && return 0
		env_alive "$pid" || return 1
		sleep 0.25
	done
	return 1
}

am_start()
{
	local dir=$1 port
	[ -x "$AM_BIN" ] ||
		env_die "$AM_BIN missing (apt-get install prometheus-alertmanager)"
	mkdir -p "$dir/data" "$dir/templates" ||
		env_die "cannot create folders in $dir"
	cat >"$dir/alertmanager.yml" <<EOF2
# Written by tests/env/alertmanager.sh for one test run.
route:
  receiver: default
receivers:
  - name: default
EOF2
	for _ in 1 2 3; do
		port=$(env_free_port) || env_die "no free port"
		if am_try "$dir" "$port"; then
			echo "export KEDGE_TEST_AM_URL=http://127.0.0.1:$port"
			echo "export KEDGE_TEST_AM_CONFIG=$dir/alertmanager.yml"
			return 0
		fi
		env_stop_pidfile "$dir/alertmanager.pid" alertmanager 10
		grep -q 'address already in use' "$dir/alertmanager.log" || break
		echo "env/alertmanager: port $port taken, retrying" >&2
	done
	env_die "alertmanager did not become ready on 127.0.0.1:$port" \
		"$dir/alertmanager.log"
}

am_stop()
{
	env_stop_pidfile "$1/alertmanager.pid" alertmanager 20
	env_sweep_procs "$1"
}

set -u
env_main alertmanager am_start am_stop "$@"
