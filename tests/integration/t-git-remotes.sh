# needs: sshd
#
# kedge reading desired state from real git remotes: an OpenSSH server on
# loopback (tests/env/sshd.sh) with key login and known_hosts checking, and
# file:// remotes cloned into a cache and fetched again. Each failure must
# exit 2 with a message a person can act on.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/tests/env/gitlib.sh"

if [ -z "${KEDGE_TEST_SSH_PORT:-}" ] || [ -z "${KEDGE_TEST_SSH_KEY:-}" ] ||
	[ -z "${KEDGE_TEST_KNOWN_HOSTS:-}" ]; then
	fail "sshd is not started: KEDGE_TEST_SSH_* are not set (tests/env/sshd.sh)"
	return 1
fi

W=$(mktemp -d "$PWD/remotes.XXXXXX")
CACHE=$W/cache

# libgit2 1.5's ssh transport leaks a few bytes per connection (inside
# git_remote_connect); under ASan, suppress exactly those, with full stacks
# so the suppression can see the libgit2 frame.
printf 'leak:git_remote_connect_ext\n' >"$W/lsan.supp"
kedge_ssh() {
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0" \
	LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$W/lsan.supp" \
		run_kedge "$@"
}

# desired_repo DIR REPLICAS: a small valid desired state, committed.
desired_repo() {
	[ -d "$1/.git" ] || git_make_repo "$1"
	git_write "$1" stacks/web/compose.yml "services:
  web:
    image: nginx:1.25
    deploy:
      replicas: $2
"
	git_commit_all "$1" "replicas $2"
}

SSH_ARGS=(--ssh-key "$KEDGE_TEST_SSH_KEY" --known-hosts "$KEDGE_TEST_KNOWN_HOSTS"
	--cache-dir "$CACHE")

SRC=$W/src
desired_repo "$SRC" 1
git -C "$SRC" tag v1
REV1=$(git_rev "$SRC")
git_make_bare shop >/dev/null
git_push_all "$SRC" "$(git_root)/shop.git"
URL=$(git_ssh_url shop)

case_begin "ssh remote with a known host key is cloned and valid"
kedge_ssh validate --repo "$URL" "${SSH_ARGS[@]}"
assert_rc 0
assert_out_contains "${REV1:0:7}"

case_begin "ssh remote: a new commit is fetched into the cache"
desired_repo "$SRC" 2
REV2=$(git_rev "$SRC")
git_push_all "$SRC" "$(git_root)/shop.git"
kedge_ssh validate --repo "$URL" "${SSH_ARGS[@]}"
assert_rc 0
assert_out_contains "${REV2:0:7}"

case_begin "ssh remote: --ref names a tag"
kedge_ssh validate --repo "$URL" --ref v1 "${SSH_ARGS[@]}"
assert_rc 0
assert_out_contains "${REV1:0:7}"

case_begin "ssh remote: --ref names an abbreviated commit"
kedge_ssh validate --repo "$URL" --ref "${REV1:0:10}" "${SSH_ARGS[@]}"
assert_rc 0
assert_out_contains "${REV1:0:7}"

case_begin "ssh remote: a missing ref"
kedge_ssh validate --repo "$URL" --ref nope "${SSH_ARGS[@]}"
assert_rc 2
assert_err_contains "ref 'nope' not found in $URL"

case_begin "ssh remote: an empty repository"
git_make_bare empty >/dev/null
kedge_ssh validate --repo "$(git_ssh_url empty)" "${SSH_ARGS[@]}"
assert_rc 2
assert_err_contains "has no commits"

case_begin "ssh remote: host key not in known_hosts"
: >"$W/empty_known_hosts"
kedge_ssh validate --repo "$URL" --ssh-key "$KEDGE_TEST_SSH_KEY" \
	--known-hosts "$W/empty_known_hosts" --cache-dir "$W/cache-unknown"
assert_rc 2
assert_err_contains "host key for '[127.0.0.1]:$KEDGE_TEST_SSH_PORT' is not in $W/empty_known_hosts"

case_begin "ssh remote: host key differs from known_hosts"
ssh-keygen -q -t ed25519 -N '' -C other -f "$W/other" </dev/null >/dev/null
printf '[127.0.0.1]:%s %s\n' "$KEDGE_TEST_SSH_PORT" \
	"$(cut -d' ' -f1-2 "$W/other.pub")" >"$W/wrong_known_hosts"
kedge_ssh validate --repo "$URL" --ssh-key "$KEDGE_TEST_SSH_KEY" \
	--known-hosts "$W/wrong_known_hosts" --cache-dir "$W/cache-wrong"
assert_rc 2
assert_err_contains "does not match known_hosts (possible man-in-the-middle)"

case_begin "ssh remote: hashed known_hosts entries are understood"
cp "$KEDGE_TEST_KNOWN_HOSTS" "$W/hashed_known_hosts"
ssh-keygen -q -H -f "$W/hashed_known_hosts" >/dev/null 2>&1
grep -q '^|1|' "$W/hashed_known_hosts" || fail "ssh-keygen -H did not hash"
kedge_ssh validate --repo "$URL" --ssh-key "$KEDGE_TEST_SSH_KEY" \
	--known-hosts "$W/hashed_known_hosts" --cache-dir "$W/cache-hashed"
assert_rc 0

case_begin "ssh remote: a client key the server does not accept"
kedge_ssh validate --repo "$URL" --ssh-key "$W/other" \
	--known-hosts "$KEDGE_TEST_KNOWN_HOSTS" --cache-dir "$W/cache-key"
assert_rc 2
assert_err_contains "ssh key '$W/other' was refused"

case_begin "unreachable remote fails fast"
CLOSED=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
kedge_ssh validate --repo "ssh://git@127.0.0.1:$CLOSED/x.git" "${SSH_ARGS[@]}"
assert_rc 2
assert_err_contains "cannot reach 'ssh://git@127.0.0.1:$CLOSED/x.git'"

case_begin "a token is never printed"
printf 's3cr3t-t0ken\n' >"$W/token"
run_kedge validate --repo "https://127.0.0.1:$CLOSED/x.git" \
	--token-file "$W/token" --cache-dir "$CACHE"
assert_rc 2
assert_err_contains "cannot reach"
assert_err_not_contains "s3cr3t"

case_begin "file:// remote: clone, then a fetch sees a new commit"
LOCAL=$W/local
desired_repo "$LOCAL" 1
FURL=$(git_file_url "$LOCAL")
run_kedge validate --repo "$FURL" --cache-dir "$CACHE"
assert_rc 0
assert_out_contains "$(git_rev "$LOCAL" | cut -c1-7)"
desired_repo "$LOCAL" 3
run_kedge validate --repo "$FURL" --cache-dir "$CACHE"
assert_rc 0
assert_out_contains "$(git_rev "$LOCAL" | cut -c1-7)"

case_begin "file:// remote: --offline reads the cache as it is"
OLD=$(git_rev "$LOCAL")
desired_repo "$LOCAL" 4
run_kedge validate --repo "$FURL" --cache-dir "$CACHE" --offline
assert_rc 0
assert_out_contains "${OLD:0:7}"
