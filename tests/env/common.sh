# tests/env/common.sh: helpers shared by the tests/env/<svc>.sh scripts.
#
# Owns: picking free loopback ports, bounded waiting, failing with the tail of
# a service's log, stopping a daemon by its pid file, and the after-stop
# sweep (leftover helper processes and mounts under a service's folder).
# Does not own: starting any particular service (each <svc>.sh does that) or
# deciding which services a test needs (tests/integration/run.sh does).
#
# Sourced, never run. Everything here prints diagnostics on stderr only:
# stdout of an env script is reserved for its `export NAME=value` lines.

# env_die MSG [LOGFILE...]: print MSG and the tail of each log on stderr, exit 1.
env_die()
{
	local msg=$1 f
	shift
	echo "env/${ENV_SVC:-?}: $msg" >&2
	for f in "$@"; do
		[ -s "$f" ] || continue
		echo "---- last lines of $f ----" >&2
		tail -n 25 "$f" >&2
		echo "---- end of $f ----" >&2
	done
	exit 1
}

# env_port_busy PORT: true when something listens on (or is bound to) PORT,
# TCP or UDP, in the current network namespace.
env_port_busy()
{
	local p=$1
	[ -n "$(ss -Htuan "( sport = :$p )" 2>/dev/null)" ]
}

# env_free_port: print a port that is free right now. Ports come from
# 20000-32767, below Linux's ephemeral range, so outgoing connections never
# take them between our check and the service's bind; a random start makes
# two concurrent runs unlikely to pick the same one, and each service retries
# with another port when its bind fails anyway. Ports handed out earlier by
# this script are never handed out again.
ENV_PORTS_GIVEN=""
env_free_port()
{
	local p
	for _ in $(seq 1 200); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 12768))
		case " $ENV_PORTS_GIVEN " in *" $p "*) continue ;; esac
		env_port_busy "$p" && continue
		ENV_PORTS_GIVEN="$ENV_PORTS_GIVEN $p"
		echo "$p"
		return 0
	done
	echo "env/${ENV_SVC:-?}: no free port found in 200 tries" >&2
	return 1
}

# env_wait_until SECONDS CMD...: run CMD every 0.25 s until it succeeds (0) or
# SECONDS have passed (1). CMD's output is discarded.
env_wait_until()
{
	local bound=$1 end
	shift
	end=$((SECONDS + bound))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.25
	done
}

# env_alive PID: true while PID exists and is not a zombie.
env_alive()
{
	local st
	[ -n "$1" ] && [ -d "/proc/$1" ] || return 1
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ "$st" != Z ]
}

# env_kill_pid PID NAME [SECONDS]: SIGTERM, wait up to SECONDS (default 20),
# then SIGKILL and wait up to 5 s more. Safe for a PID that is already gone.
env_kill_pid()
{
	local pid=$1 name=$2 bound=${3:-20}
	env_alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null
	env_wait_until "$bound" sh -c "! [ -d /proc/$pid ] || grep -q '^State:.*Z' /proc/$pid/status" && return 0
	echo "env/${ENV_SVC:-?}: $name (pid $pid) ignored SIGTERM for ${bound}s; killing it" >&2
	kill -KILL "$pid" 2>/dev/null
	env_wait_until 5 sh -c "! [ -d /proc/$pid ] || grep -q '^State:.*Z' /proc/$pid/status"
	return 0
}

# env_stop_pidfile PIDFILE NAME [SECONDS]: stop the process named in PIDFILE.
env_stop_pidfile()
{
	local pid
	[ -s "$1" ] || return 0
	pid=$(head -n 1 "$1" 2>/dev/null)
	case "$pid" in '' | *[!0-9]*) return 0 ;; esac
	env_kill_pid "$pid" "$2" "${3:-20}"
}

# env_sweep_procs DIR: kill daemons a service left behind whose command line
# names a path under DIR (dockerd's containerd and its shims, a postmaster's children...).
# Only the daemon binaries we start are considered, never a shell: the
# caller's own command line names DIR too.
env_sweep_procs()
{
	local dir=$1 p comm pids=""
	[ -n "$dir" ] || return 0
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$p" = "$$" ] && continue
		comm=$(cat "/proc/$p/comm" 2>/dev/null) || continue
		case "$comm" in
		dockerd | containerd | containerd-shim* | runc | docker-proxy | \
			prometheus | prometheus-aler* | postgres | postmaster) ;;
		*) continue ;;
		esac
		tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$dir/" &&
			pids="$pids $p"
	done
	[ -n "$pids" ] || return 0
	echo "env/${ENV_SVC:-?}: killing leftover processes:$pids" >&2
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null
	for p in $pids; do
		env_wait_until 5 sh -c "! [ -d /proc/$p ] || grep -q '^State:.*Z' /proc/$p/status"
	done
	return 0
}

# env_umount_under DIR: lazily unmount every mount point at or below DIR,
# deepest first. Reads /proc/self/mountinfo, so mounts made by a daemon in
# another network namespace (same mount namespace) are found too.
env_umount_under()
{
	local dir=$1 m mp
	[ -n "$dir" ] && [ "$dir" != / ] || return 0
	for _ in 1 2 3; do
		m=$(awk -v d="$dir" '$5 == d || index($5, d "/") == 1 {print $5}' \
			/proc/self/mountinfo | sort -r)
		[ -n "$m" ] || return 0
		while read -r mp; do
			umount -l "$mp" 2>/dev/null
		done <<<"$m"
	done
}

# env_require_dir ARG: the DIR argument must be an existing folder other
# than / (callers then make it absolute).
env_require_dir()
{
	[ -d "$1" ] || env_die "DIR '$1' does not exist (the caller makes it)"
	[ "$(cd "$1" && pwd)" != / ] || env_die "DIR must not be /"
}

# env_main SVC START_FN STOP_FN VERB DIR: the start|stop entry point every
# service script shares. Stopping what never started (no DIR) is fine.
env_main()
{
	ENV_SVC=$1
	local start_fn=$2 stop_fn=$3 verb=${4:-} dir=${5:-}
	[ -n "$verb" ] && [ -n "$dir" ] || env_die "usage: $0 start|stop DIR"
	[ "$verb" = stop ] && [ ! -d "$dir" ] && exit 0
	env_require_dir "$dir"
	dir=$(cd "$dir" && pwd)
	case "$verb" in
	start) "$start_fn" "$dir" ;;
	stop) "$stop_fn" "$dir" ;;
	*) env_die "unknown verb '$verb' (start|stop)" ;;
	esac
}
