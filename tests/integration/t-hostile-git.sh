# needs:
#
# Repositories and remotes that try to exhaust or hang kedge: a huge blob
# that compresses to nothing, a server that accepts and never answers, a
# corrupt object store, and URL credentials in an upper-case scheme. Local
# repositories and a loopback python3 listener only; no service.

W=$(mktemp -d "$PWD/hostile.XXXXXX")

# hostile_repo DIR: a repository whose stack references ./big.conf.
hostile_repo() {
	make_desired_repo "$1"
	mkdir -p "$1/stacks/web"
	printf '%s\n' 'services:' '  web:' '    image: nginx:1.25' \
		'    configs: [big]' 'configs:' '  big:' '    file: ./big.conf' \
		>"$1/stacks/web/compose.yml"
}

case_begin "a 512 MiB blob is refused before it is inflated"
hostile_repo "$W/big"
head -c 512M /dev/zero >"$W/big/stacks/web/big.conf"
commit_all "$W/big" "big"
rm -f "$W/big/stacks/web/big.conf"
/usr/bin/time -f '%M' -o "$W/rss" true # the tool works
timeout -k 5 120 /usr/bin/time -f '%M' -o "$W/rss" "$KEDGE" validate \
	--repo "$W/big" >"$W/out" 2>"$W/err"
RC=$? ERR=$(cat "$W/err")
assert_rc 2
assert_err_contains "stacks/web/compose.yml:7:11: 'stacks/web/big.conf' is larger than Swarm's 1000 KiB limit"
RSS=$(tail -n 1 "$W/rss")
echo "max RSS ${RSS} KiB"
[ "$RSS" -lt $((100 * 1024)) ] || fail "max RSS ${RSS} KiB, over 100 MiB"

# A listener that accepts connections and never answers: the server that
# gives libgit2 no callback to give up in.
SILENT_LOG=$W/silent.port
python3 -u -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
print(s.getsockname()[1])
held = []
end = time.time() + 300
s.settimeout(1)
while time.time() < end:
    try:
        held.append(s.accept()[0])
    except socket.timeout:
        pass
' >"$SILENT_LOG" &
SILENT_PID=$!
wait_for 10 test -s "$SILENT_LOG" || fail "the silent listener did not start"
PORT=$(head -n 1 "$SILENT_LOG")
SILENT_URL="http://tok_SECRET@127.0.0.1:$PORT/x.git"
SHOWN_URL="http://127.0.0.1:$PORT/x.git"

case_begin "a server that never answers: clone fails at --git-timeout"
run_kedge validate --repo "$SILENT_URL" --cache-dir "$W/cache" \
	--git-timeout 2s
assert_rc 2
assert_err_contains "cannot reach '$SHOWN_URL': no answer within 2 s (--git-timeout)"
assert_err_not_contains "SECRET"
ls -a "$W/cache" | grep -q 'tmp' && fail "a temporary clone was left behind"

case_begin "KEDGE_GIT_TIMEOUT bounds a fetch, and the lock is free meanwhile"
# Give the silent URL a cache (a clone of a good repository in its folder),
# so that this run fetches into an existing cache instead of cloning.
make_desired_repo "$W/good"
mkdir -p "$W/good/stacks/web"
printf 'services:\n  web:\n    image: nginx:1.25\n' \
	>"$W/good/stacks/web/compose.yml"
commit_all "$W/good" "good"
KEY=$(python3 -c '
import sys
url = sys.argv[1]
h = 0xcbf29ce484222325
for b in url.encode():
    h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
san = ""
for c in url.split("://", 1)[1]:
    if len(san) >= 48: break
    ok = c.isascii() and (c.isalnum() or c == ".")
    if ok or (san and san[-1] != "-"): san += c if ok else "-"
print("%s-%016x" % (san, h))' "$SHOWN_URL")
git clone -q --bare "$W/good" "$W/cache/$KEY"
git -C "$W/cache/$KEY" update-ref refs/remotes/origin/main refs/heads/main
git -C "$W/cache/$KEY" symbolic-ref refs/remotes/origin/HEAD refs/remotes/origin/main
KEDGE_GIT_TIMEOUT=3 timeout -k 5 60 "$KEDGE" validate --repo "$SILENT_URL" \
	--cache-dir "$W/cache" >"$W/out" 2>"$W/err" &
BG=$!
sleep 1
# while kedge waits on the network, another process can take the lock
flock -n -w 0 "$W/cache/$KEY.lock" true ||
	fail "the cache lock is held while kedge waits on the network"
wait "$BG"
RC=$? ERR=$(cat "$W/err")
assert_rc 2
assert_err_contains "cannot reach '$SHOWN_URL': no answer within 3 s (--git-timeout)"
assert_err_not_contains "SECRET"
[ -e "$W/cache/$KEY/refs/kedge" ] && [ -n "$(ls -A "$W/cache/$KEY/refs/kedge")" ] &&
	fail "the killed fetch left its refs behind"
# a second run proceeds (no lock left held): offline reads the cache
run_kedge validate --repo "$SILENT_URL" --cache-dir "$W/cache" --offline
assert_rc 0
assert_out_contains "valid: $SHOWN_URL"

kill "$SILENT_PID" 2>/dev/null
wait "$SILENT_PID" 2>/dev/null

case_begin "an upper-case scheme: the token is redacted, also in the cache"
CLOSED=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run_kedge validate --repo "HTTPS://tok_SECRET@127.0.0.1:$CLOSED/x.git" \
	--cache-dir "$W/cache-upper"
assert_rc 2
assert_err_contains "cannot reach 'HTTPS://127.0.0.1:$CLOSED/x.git'"
assert_err_not_contains "SECRET"
ls -a "$W/cache-upper" | grep -q SECRET && fail "a cache file name has the token"
run_kedge validate --repo "Https://user:tok_SECRET@127.0.0.1:$CLOSED/x.git" \
	--cache-dir "$W/cache-upper"
assert_rc 2
assert_err_contains "cannot reach 'Https://user@127.0.0.1:$CLOSED/x.git'"
assert_err_not_contains "SECRET"

case_begin "--git-timeout refuses a value that is not a duration"
run_kedge validate --repo "$W/good" --git-timeout soon
assert_rc 2
assert_err_contains "--git-timeout must be seconds or a duration"

# corrupt_repo NAME: a repository with two stacks, loose objects only.
corrupt_repo() {
	make_desired_repo "$W/$1"
	mkdir -p "$W/$1/stacks/web"
	printf 'services:\n  web:\n    image: nginx:1.25\n' \
		>"$W/$1/stacks/web/compose.yml"
	commit_all "$W/$1" "two"
}
object_file() { # REPO PATH-IN-HEAD
	local id
	id=$(git -C "$1" rev-parse "HEAD:$2")
	echo "$1/.git/objects/${id:0:2}/${id:2}"
}

case_begin "a truncated object: an error naming it, in bounded time"
corrupt_repo trunc
OBJ=$(object_file "$W/trunc" stacks/web/compose.yml)
chmod u+w "$OBJ"
head -c 10 "$OBJ" >"$OBJ.part" && mv "$OBJ.part" "$OBJ"
run_kedge validate --repo "$W/trunc"
assert_rc 2
assert_err_contains "stacks/web/compose.yml"
assert_err_contains "$(git -C "$W/trunc" rev-parse HEAD:stacks/web/compose.yml)"

case_begin "a missing object: an error naming it, in bounded time"
corrupt_repo missing
OBJ=$(object_file "$W/missing" stacks/web/compose.yml)
rm -f "$OBJ"
run_kedge validate --repo "$W/missing"
assert_rc 2
assert_err_contains "stacks/web/compose.yml"
assert_err_contains "$(git -C "$W/missing" rev-parse HEAD:stacks/web/compose.yml)"

case_begin "a missing tree: an error, in bounded time"
corrupt_repo notree
OBJ=$(object_file "$W/notree" stacks)
rm -f "$OBJ"
run_kedge validate --repo "$W/notree"
assert_rc 2
assert_err_contains "stacks"

# stack_repo NAME: a repository with one good stack, stacks/web.
stack_repo() {
	make_desired_repo "$W/$1"
	mkdir -p "$W/$1/stacks/web"
	printf 'services:\n  web:\n    image: nginx:1.25\n' \
		>"$W/$1/stacks/web/compose.yml"
}

case_begin "a stack folder that is a symlink out of the repository is an error"
stack_repo linkout
mkdir -p "$W/elsewhere"
ln -s "$W/elsewhere" "$W/linkout/stacks/db"
commit_all "$W/linkout" "link out"
run_kedge validate --repo "$W/linkout"
assert_rc 2
assert_err_contains "stacks/db: the stack cannot be read: 'stacks/db' is a symlink that leaves the repository"

case_begin "a stack folder that is a symlink inside the repository is a stack"
stack_repo linkin
ln -s web "$W/linkin/stacks/web2"
commit_all "$W/linkin" "link in"
run_kedge validate --repo "$W/linkin"
assert_rc 0
assert_out_contains "2 stacks"

case_begin "a submodule in stacks/ is an error, not a skipped stack"
stack_repo submod
commit_all "$W/submod" "one"
git -C "$W/submod" update-index --add --cacheinfo \
	"160000,$(git -C "$W/submod" rev-parse HEAD),stacks/db"
git -C "$W/submod" commit -q -m submodule
run_kedge validate --repo "$W/submod"
assert_rc 2
assert_err_contains "stacks/db: 'stacks/db' is a submodule or a special file, not a folder"

case_begin "stacks that is a file is an error, not an empty desired state"
make_desired_repo "$W/stacksfile"
printf 'oops\n' >"$W/stacksfile/stacks"
commit_all "$W/stacksfile" "file"
run_kedge validate --repo "$W/stacksfile"
assert_rc 2
assert_err_contains "'stacks' is not a folder"

case_begin "--worktree: a file: into .git is refused like a path out"
stack_repo dotgit
printf '%s\n' 'services:' '  web:' '    image: nginx:1.25' \
	'    configs: [c]' 'configs:' '  c:' '    file: ../../.git/config' \
	>"$W/dotgit/stacks/web/compose.yml"
run_kedge validate --worktree "$W/dotgit"
assert_rc 2
assert_err_contains "'../../.git/config' leaves the repository"

case_begin "--worktree: a hard-linked config is refused"
stack_repo hard
printf 'x\n' >"$W/hard-outside"
ln "$W/hard-outside" "$W/hard/stacks/web/c.conf"
printf '%s\n' 'services:' '  web:' '    image: nginx:1.25' \
	'    configs: [c]' 'configs:' '  c:' '    file: ./c.conf' \
	>"$W/hard/stacks/web/compose.yml"
run_kedge validate --worktree "$W/hard"
assert_rc 2
assert_err_contains "has 2 hard links"
