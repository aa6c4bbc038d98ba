#!/bin/sh
# cc.sh OUT FILE.c... : compile and link a few files with the project's flags,
# without building the whole tree (useful while other modules are in flux).
# SAN=1 adds ASan+UBSan. Unit tests need tests/unit on the include path and
# check's libs, which are always added.
set -eu
out=$1; shift
pkgs="libgit2 yaml-0.1 jansson libcurl libmicrohttpd sqlite3 libpq openssl check"
san=""
[ "${SAN:-0}" = 1 ] && san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
exec ${CC:-gcc} -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wformat=2 -Wshadow \
	-Wstrict-prototypes -Wmissing-prototypes -Wwrite-strings -Wvla -Wundef \
	-fno-common -O1 -g $san -DKEDGE_VERSION='"dev"' -Ireconciler -Itests/unit \
	$(pkg-config --cflags $pkgs) -o "$out" "$@" $(pkg-config --libs $pkgs)
