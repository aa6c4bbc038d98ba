#!/bin/bash
# tests/env/postgres.sh: a private PostgreSQL 15 on a unix socket.
#
# Owns: initdb of a cluster under DIR/data (trust auth), the server run as
# the postgres user (PostgreSQL refuses root) listening on a socket in DIR
# only (no TCP), and an empty database `kedge`.
# Does not own: any schema (kedge creates its own tables).
#
#   tests/env/postgres.sh start DIR
#     -> export KEDGE_TEST_PG_DSN='host=DIR dbname=kedge user=postgres'
#        export PGHOST=DIR PGUSER=postgres PGDATABASE=kedge
#   tests/env/postgres.sh stop DIR

PG_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/env/common.sh
. "$PG_HERE/common.sh"

pg_bindir()
{
	local b
	for b in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
		[ -x "$b/pg_ctl" ] && { echo "$b"; return 0; }
	done
	return 1
}

pg_as()
{
	runuser -u postgres -- "$@"
}

pg_start()
{
	local dir=$1 bin port
	bin=$(pg_bindir) || env_die "pg_ctl missing (apt-get install postgresql)"
	id postgres >/dev/null 2>&1 || env_die "no 'postgres' user on this machine"
	# The postgres user must reach DIR through its parents (mktemp -d
	# makes them 0700) and own DIR itself.
	chown postgres: "$dir" || env_die "cannot chown $dir"
	chmod 0700 "$dir"
	local p=$dir tmp=${TMPDIR:-/tmp}
	while p=$(dirname "$p") && [ "${p#"$tmp"/}" != "$p" ]; do
		[ "$(stat -c %a "$p")" = 700 ] && chmod go+x "$p"
	done
	pg_as test -x "$dir" ||
		env_die "user postgres cannot reach $dir (a parent is not searchable)"
	pg_as "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 \
		--no-instructions >"$dir/initdb.log" 2>&1 ||
		env_die "initdb failed" "$dir/initdb.log"
	# The socket's name carries a port number even without TCP; a free one
	# keeps the lock file name unique anyway.
	port=$(env_free_port) || env_die "no free port"
	pg_as "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
		-o "-k $dir -h '' -p $port" start >"$dir/pg_ctl.log" 2>&1 ||
		env_die "pg_ctl start failed" "$dir/pg_ctl.log" "$dir/postgres.log"
	env_wait_until 60 pg_as "$bin/pg_isready" -h "$dir" -p "$port" ||
		env_die "postgres not ready within 60 s" "$dir/postgres.log"
	pg_as "$bin/createdb" -h "$dir" -p "$port" -U postgres kedge \
		>"$dir/createdb.log" 2>&1 ||
		env_die "createdb kedge failed" "$dir/createdb.log" "$dir/postgres.log"
	echo "export KEDGE_TEST_PG_DSN='host=$dir port=$port dbname=kedge user=postgres'"
	echo "export PGHOST=$dir"
	echo "export PGPORT=$port"
	echo "export PGUSER=postgres"
	echo "export PGDATABASE=kedge"
}

pg_stop()
{
	local dir=$1 bin
	bin=$(pg_bindir) || return 0
	if [ -s "$dir/data/postmaster.pid" ]; then
		pg_as "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 20 stop \
			>/dev/null 2>&1 ||
			env_stop_pidfile "$dir/data/postmaster.pid" postgres 10
	fi
	env_sweep_procs "$dir"
	return 0
}


set -u
env_main postgres pg_start pg_stop "$@"
