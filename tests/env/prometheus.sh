#!/bin/bash
# tests/env/prometheus.sh: a private Prometheus on loopback.
#
# Owns: a prometheus.yml whose rule_files point at DIR/rules/kedge/*.yml (the
# one folder kedge writes alert rules into), a TSDB under DIR, and the server
# on 127.0.0.1:PORT with --web.enable-lifecycle so POST /-/reload works.
# Does not own: the rules themselves (kedge or the test writes them).
#
#   tests/env/prometheus.sh start DIR
#     -> export KEDGE_TEST_PROM_URL=http://127.0.0.1:PORT
#        export KEDGE_TEST_PROM_RULES_DIR=DIR/rules/kedge
#        export KEDGE_TEST_PROM_CONFIG=DIR/prometheus.yml
#   tests/env/prometheus.sh stop DIR

PR_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/env/common.sh
. "$PR_HERE/common.sh"

PR_BIN=/usr/bin/prometheus

pr_ready()
{
	curl -fsS --max-time 2 "$1/-/ready"
}

# pr_try DIR PORT: one attempt to start on PORT; 0 when it answers /-/ready.
pr_try()
{
	local dir=$1 port=$2 url=http://127.0.0.1:$2 pid end
	setsid "$PR_BIN" --config.file="$dir/prometheus.yml" \
		--storage.tsdb.path="$dir/data" \
		--web.listen-address="127.0.0.1:$port" ${PR_LIFECYCLE-"--web.enable-lifecycle"} \
		--web.console.templates="$dir/consoles" \
		--web.console.libraries="$dir/console_libraries" \
		</dev/null >"$dir/prometheus.log" 2>&1 &
	pid=$!
	echo "$pid" >"$dir/prometheus.pid"
	end=$((SECONDS + 60))
	while [ "$SECONDS" -lt "$end" ]; do
		pr_ready "$url" >/dev/null 2>&1 && return 0
		env_alive "$pid" || return 1
		sleep 0.25
	done
	return 1
}

pr_start()
{
	local dir=$1 port
	[ -x "$PR_BIN" ] || env_die "$PR_BIN missing (apt-get install prometheus)"
	mkdir -p "$dir/rules/kedge" "$dir/data" "$dir/consoles" \
		"$dir/console_libraries" || env_die "cannot create folders in $dir"
	cat >"$dir/prometheus.yml" <<EOF
# Written by tests/env/prometheus.sh for one test run.
global:
  scrape_interval: 15s
  evaluation_interval: 5s
rule_files:
  - "$dir/rules/kedge/*.yml"
scrape_configs: []
EOF
	for _ in 1 2 3; do
		port=$(env_free_port) || env_die "no free port"
		if pr_try "$dir" "$port"; then
			echo "export KEDGE_TEST_PROM_URL=http://127.0.0.1:$port"
			echo "export KEDGE_TEST_PROM_RULES_DIR=$dir/rules/kedge"
			echo "export KEDGE_TEST_PROM_CONFIG=$dir/prometheus.yml"
			return 0
		fi
		env_stop_pidfile "$dir/prometheus.pid" prometheus 10
		grep -q 'address already in use' "$dir/prometheus.log" || break
		echo "env/prometheus: port $port taken, retrying" >&2
	done
	env_die "prometheus did not become ready on 127.0.0.1:$port" \
		"$dir/prometheus.log"
}

pr_stop()
{
	env_stop_pidfile "$1/prometheus.pid" prometheus 20
	env_sweep_procs "$1"
}

set -u
env_main prometheus pr_start pr_stop "$@"
