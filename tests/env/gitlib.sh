# tests/env/gitlib.sh: shell helpers for tests that need git repositories.
#
# Owns: making work repositories and bare "remotes" with the git CLI, with a
# fixed identity and no reliance on the user's git config; building ssh://
# and file:// URLs for them. Does not own: the ssh server (sshd.sh) or any
# assertion (tests/integration/lib.sh).
#
# Sourced, never run. Bare repositories go under $KEDGE_TEST_GIT_ROOT (set by
# `tests/env/sshd.sh start`), or under a temporary folder made on first use.

export GIT_AUTHOR_NAME=kedge-test GIT_AUTHOR_EMAIL=kedge-test@example.com
export GIT_COMMITTER_NAME=kedge-test GIT_COMMITTER_EMAIL=kedge-test@example.com
export GIT_CONFIG_NOSYSTEM=1

# git_make_repo DIR: an empty work repository on branch main.
git_make_repo() {
	mkdir -p "$1" &&
		git -C "$1" init -q -b main &&
		git -C "$1" config user.name kedge-test &&
		git -C "$1" config user.email kedge-test@example.com &&
		git -C "$1" config commit.gpgsign false
}

# git_commit_all DIR MSG: commit everything in DIR (additions, edits and
# removals). Prints nothing; fails when there is nothing to commit.
git_commit_all() {
	git -C "$1" add -A && git -C "$1" commit -q -m "$2"
}

# git_write DIR FILE TEXT: write TEXT (printf %s) to DIR/FILE, making folders.
git_write() {
	mkdir -p "$(dirname "$1/$2")" && printf '%s' "$3" >"$1/$2"
}

# git_rev DIR [REF]: the full commit id of REF (default HEAD) in DIR.
git_rev() {
	git -C "$1" rev-parse "${2:-HEAD}^{commit}"
}

# git_root: where bare repositories go (made on first use).
git_root() {
	if [ -z "${KEDGE_TEST_GIT_ROOT:-}" ]; then
		KEDGE_TEST_GIT_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/kedge-git.XXXXXX")
		export KEDGE_TEST_GIT_ROOT
	fi
	mkdir -p "$KEDGE_TEST_GIT_ROOT" && printf '%s\n' "$KEDGE_TEST_GIT_ROOT"
}

# git_make_bare NAME: an empty bare repository NAME.git; prints its path.
git_make_bare() {
	local dir
	dir="$(git_root)/$1.git" || return 1
	rm -rf "$dir"
	git init -q --bare -b main "$dir" && printf '%s\n' "$dir"
}

# git_push_all SRC BARE: push every branch and tag of SRC to BARE (a path or
# URL), forcing, so BARE mirrors SRC.
git_push_all() {
	git -C "$1" push -q --force "$2" 'refs/heads/*:refs/heads/*' \
		'refs/tags/*:refs/tags/*'
}

# git_ssh_url NAME: the ssh:// URL of NAME.git on the test sshd.
git_ssh_url() {
	printf 'ssh://%s@127.0.0.1:%s%s/%s.git\n' "$(id -un)" \
		"${KEDGE_TEST_SSH_PORT:?sshd is not started}" "$(git_root)" "$1"
}

# git_file_url PATH: the file:// URL of a repository on disk.
git_file_url() {
	printf 'file://%s\n' "$(cd "$1" && pwd)"
}
