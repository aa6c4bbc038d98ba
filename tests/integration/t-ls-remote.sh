# needs: sshd
#
# t-ls-remote.sh: repo_remote_head() / source_remote_head() (where a ref
# points on a remote, asked ls-remote style without fetching) against real
# remotes, through tests/integration/ls-remote-probe.c, compiled here with
# sanitizers: file:// and ssh:// (tests/env/sshd.sh, key login, known_hosts)
# remotes and a local path. The head matches `git rev-parse` and moves after
# a push; a missing branch is ERR_NOTFOUND naming the ref and the remote; an
# unknown host key is refused; a server that never answers is cut off at the
# deadline; nothing is written to a cache.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/tests/env/gitlib.sh"

if [ -z "${KEDGE_TEST_SSH_PORT:-}" ] || [ -z "${KEDGE_TEST_SSH_KEY:-}" ] ||
	[ -z "${KEDGE_TEST_KNOWN_HOSTS:-}" ]; then
	fail "sshd is not started: KEDGE_TEST_SSH_* are not set (tests/env/sshd.sh)"
	return 1
fi

W=$(mktemp -d "$PWD/lsremote.XXXXXX")
PROBE=$W/ls-remote-probe
# A cache would go here; the probe must never create it.
export XDG_CACHE_HOME=$W/xdg

# head SPEC REF [ARGS...]: run the probe; sets HEAD_OUT (after "head: ")
# and HEAD_MS.
head_of()
{
	local out
	out=$(timeout -k 5 60 "$PROBE" "$@" 2>"$W/probe.err")
	echo "+ ls-remote-probe $* -> $out" | tr '\n' ' '
	echo
	HEAD_OUT=$(printf '%s\n' "$out" | sed -n 's/^head: //p')
	HEAD_MS=$(printf '%s\n' "$out" | sed -n 's/^ms: //p')
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$W/probe.err"; then
		cat "$W/probe.err"
		fail "ls-remote-probe: sanitizer report"
	fi
}

case_begin "the ls-remote probe builds with sanitizers"
(cd "$ROOT" && SAN=1 contrib/cc.sh "$PROBE" tests/integration/ls-remote-probe.c \
	reconciler/source.c reconciler/repo.c reconciler/repo-remote.c \
	reconciler/url.c reconciler/knownhosts.c reconciler/hash.c \
	reconciler/buf.c reconciler/err.c reconciler/util.c reconciler/log.c) ||
	fail "cannot build tests/integration/ls-remote-probe.c"

SRC=$W/src
git_make_repo "$SRC"
git_write "$SRC" a.txt one
git_commit_all "$SRC" one
git -C "$SRC" tag -a v1 -m "tag v1"
git_write "$SRC" a.txt two
git_commit_all "$SRC" two
git -C "$SRC" branch other HEAD~1
BARE=$(git_make_bare lsr)
git_push_all "$SRC" "$BARE"
FILE_URL=$(git_file_url "$BARE")
SSH_URL=$(git_ssh_url lsr)
SSH=("$KEDGE_TEST_SSH_KEY" "$KEDGE_TEST_KNOWN_HOSTS")

case_begin "file:// remote: heads match git rev-parse"
head_of "$FILE_URL" -
assert_eq "$HEAD_OUT" "$(git -C "$BARE" rev-parse HEAD)" "default branch"
head_of "$FILE_URL" main
assert_eq "$HEAD_OUT" "$(git -C "$BARE" rev-parse main)" "main"
head_of "$FILE_URL" refs/heads/other
assert_eq "$HEAD_OUT" "$(git -C "$BARE" rev-parse other)" "refs/heads/other"
head_of "$FILE_URL" v1
assert_eq "$HEAD_OUT" "$(git -C "$BARE" rev-parse 'v1^{commit}')" \
	"annotated tag v1 (the commit, not the tag object)"

case_begin "ssh:// remote: the head matches, and moves after a push"
head_of "$SSH_URL" main 30000 "${SSH[@]}"
assert_eq "$HEAD_OUT" "$(git -C "$BARE" rev-parse main)" "main over ssh"
head_of "$SSH_URL" - 30000 "${SSH[@]}"
assert_eq "$HEAD_OUT" "$(git -C "$BARE" rev-parse main)" "HEAD over ssh"
git_write "$SRC" a.txt three
git_commit_all "$SRC" three
git_push_all "$SRC" "$BARE"
NEW=$(git -C "$SRC" rev-parse HEAD)
head_of "$SSH_URL" main 30000 "${SSH[@]}"
assert_eq "$HEAD_OUT" "$NEW" "main after the push"
head_of "$FILE_URL" main
assert_eq "$HEAD_OUT" "$NEW" "main after the push (file://)"

case_begin "a missing branch is ERR_NOTFOUND naming the ref and the remote"
head_of "$SSH_URL" nope 30000 "${SSH[@]}"
assert_eq "$HEAD_OUT" "ERR_NOTFOUND: no ref 'nope' on $SSH_URL" "ssh"
head_of "$FILE_URL" refs/heads/nope
assert_eq "$HEAD_OUT" "ERR_NOTFOUND: no ref 'refs/heads/nope' on $FILE_URL" \
	"file://"

case_begin "an empty remote has no default branch"
EMPTY=$(git_make_bare lsr-empty)
head_of "$(git_file_url "$EMPTY")" -
[[ "$HEAD_OUT" == "ERR_NOTFOUND: no default branch (HEAD) on file://"* ]] ||
	fail "empty remote: '$HEAD_OUT'"

case_begin "ssh:// remote: an unknown host key is refused"
: >"$W/empty_known_hosts"
head_of "$SSH_URL" main 30000 "$KEDGE_TEST_SSH_KEY" "$W/empty_known_hosts"
[[ "$HEAD_OUT" == "ERR_AUTH: host key for '[127.0.0.1]:$KEDGE_TEST_SSH_PORT' is not in $W/empty_known_hosts" ]] ||
	fail "unknown host key: '$HEAD_OUT'"

case_begin "a server that never answers is cut off at the deadline"
# Accepts connections and never says a word (the ssh banner never comes).
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' >"$W/silent.port" &
SILENT_PID=$!
wait_for 10 test -s "$W/silent.port" || fail "the silent server did not start"
SILENT_PORT=$(cat "$W/silent.port")
head_of "ssh://git@127.0.0.1:$SILENT_PORT/x.git" main 1500 "${SSH[@]}"
assert_eq "$HEAD_OUT" \
	"ERR_TIMEOUT: cannot reach 'ssh://git@127.0.0.1:$SILENT_PORT/x.git': no answer within 1500 ms (--git-timeout)" \
	"silent ssh server"
[ "${HEAD_MS:-0}" -ge 1400 ] && [ "${HEAD_MS:-99999}" -lt 10000 ] ||
	fail "the deadline was not kept: ${HEAD_MS:-?} ms"
kill "$SILENT_PID" 2>/dev/null
wait "$SILENT_PID" 2>/dev/null

case_begin "a local path is read directly"
head_of "$SRC" main
assert_eq "$HEAD_OUT" "$NEW" "local main"
head_of "$SRC" nope
assert_eq "$HEAD_OUT" "ERR_NOTFOUND: ref 'nope' not found in $SRC" "local missing"

case_begin "a full commit id is its own head; nothing was cached"
head_of "$FILE_URL" "$(echo "$NEW" | tr a-f A-F)"
assert_eq "$HEAD_OUT" "$NEW" "commit id"
[ ! -e "$XDG_CACHE_HOME" ] || fail "something was written under $XDG_CACHE_HOME"
