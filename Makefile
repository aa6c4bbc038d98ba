# kedge: a GitOps reconciler for Docker Swarm.
#
#   make deps        install every Debian package the build, tests and demo need
#   make             build build/kedge
#   make check       every test: unit, fuzz corpus replay, JSON Schema suite,
#                    integration against real services (starts them itself),
#                    the MCP conformance suite
#   make mcp-deps    npm packages of the MCP test client (tests/mcp, pinned)
#   make conformance the official MCP conformance suite against kedge mcp
#                    --listen (Node 22 and the suite: tests/mcp/conformance)
#   make asan        the same suite, built with ASan + UBSan
#   make demo        an end-to-end run on a throwaway local swarm
#   make lint        cppcheck, clang-tidy and the banned-function check
#   make fmt-check   clang-format conformance
#   make fuzz        libFuzzer on each target for FUZZ_SECONDS (default 60)
#   make install     PREFIX=/usr/local DESTDIR=

BUILD ?= build
CC ?= gcc
PREFIX ?= /usr/local
FUZZ_SECONDS ?= 60
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

PKGS := libgit2 yaml-0.1 jansson libcurl libmicrohttpd sqlite3 libpq openssl

DEB_BUILD := build-essential pkg-config libgit2-dev libyaml-dev libjansson-dev \
	libcurl4-openssl-dev libssl-dev libsqlite3-dev libpq-dev \
	libmicrohttpd-dev check clang llvm libclang-rt-14-dev \
	clang-format clang-tidy cppcheck
DEB_TEST := docker.io busybox-static prometheus prometheus-alertmanager \
	postgresql openssh-server \
	git iproute2 util-linux procps libtest-json-schema-acceptance-perl \
	python3 curl time nodejs
DEB_ALL := $(DEB_BUILD) $(DEB_TEST)

WARN := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wwrite-strings -Wvla -Wundef -fno-common
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
OPT ?= -O2 -g
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
ifeq ($(SAN),1)
OPT := -O1 -g $(SAN_FLAGS)
endif
ALL_CFLAGS = -std=c17 -D_GNU_SOURCE $(WARN) $(OPT) $(PKG_CFLAGS) \
	-DKEDGE_VERSION='"$(VERSION)"' \
	-DKEDGE_SCHEMA_DIR='"$(PREFIX)/share/kedge/schema"' -Ireconciler $(CFLAGS)
ALL_LDFLAGS = $(OPT) $(LDFLAGS)

SRCS := $(wildcard reconciler/*.c)
LIB_SRCS := $(filter-out reconciler/main.c,$(SRCS))
LIB_OBJS := $(patsubst reconciler/%.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
UNIT_SRCS := $(wildcard tests/unit/test-*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz-%.c,%,$(FUZZ_SRCS))
REPLAY_BINS := $(patsubst %,$(BUILD)/fuzz/replay-%,$(FUZZ_NAMES))
SUITE_BIN := $(BUILD)/tests/jsonschema-suite

.PHONY: all deps check check-only unit fuzz-replay schema-suite integration \
	mcp-deps conformance conformance-deps asan demo lint fmt fmt-check fuzz \
	install clean bench bench-prometheus bench-mcp
.DELETE_ON_ERROR:

all: $(BUILD)/kedge

$(BUILD)/obj/%.o: reconciler/%.c $(wildcard reconciler/*.h) | $(BUILD)/obj
	$(CC) $(ALL_CFLAGS) -MMD -c -o $@ $<

$(BUILD)/obj $(BUILD)/tests $(BUILD)/fuzz:
	mkdir -p $@

$(BUILD)/libkedge.a: $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/kedge: $(BUILD)/obj/main.o $(BUILD)/libkedge.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/test-%: tests/unit/test-%.c tests/unit/unit.h \
		$(BUILD)/libkedge.a | $(BUILD)/tests
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libkedge.a \
		$(PKG_LIBS) $(shell pkg-config --libs check) -pthread

$(SUITE_BIN): tests/jsonschema/suite.c $(BUILD)/libkedge.a | $(BUILD)/tests
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libkedge.a $(PKG_LIBS)

$(BUILD)/fuzz/replay-%: tests/fuzz/fuzz-%.c tests/fuzz/replay.c \
		$(BUILD)/libkedge.a | $(BUILD)/fuzz
	$(CC) $(ALL_CFLAGS) -o $@ $< tests/fuzz/replay.c $(BUILD)/libkedge.a \
		$(PKG_LIBS)

deps:
	@missing=$$(dpkg-query -W -f='$${db:Status-Abbrev} $${Package}\n' \
		$(DEB_ALL) 2>/dev/null | awk '$$1 != "ii" {print $$2}'; \
		for p in $(DEB_ALL); do dpkg-query -W $$p >/dev/null 2>&1 || \
		echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "deps: installing $$(echo $$missing | tr '\n' ' ')"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y \
			--no-install-recommends $$missing || { \
		DEBIAN_FRONTEND=noninteractive apt-get update && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y \
			--no-install-recommends $$missing; }; \
	else echo "deps: all present"; fi

unit: $(UNIT_BINS)
	@fail=0; for t in $(UNIT_BINS); do \
		CK_FORK=yes $$t || fail=1; done; exit $$fail

fuzz-replay: $(REPLAY_BINS)
	@fail=0; for n in $(FUZZ_NAMES); do \
		$(BUILD)/fuzz/replay-$$n tests/fuzz/corpus/$$n || fail=1; \
	done; exit $$fail

schema-suite: $(SUITE_BIN)
	$(SUITE_BIN) --known-failures tests/jsonschema/known-failures.txt

# The MCP test client (tests/mcp/client.mjs) needs its pinned npm packages.
# npm is not in DEB_TEST: NodeSource's nodejs bundles npm and conflicts with
# Debian's npm package, so npm is installed from Debian only when missing.
MCP_DIR := tests/mcp
APT_GET := DEBIAN_FRONTEND=noninteractive apt-get
mcp-deps:
	@if [ -d $(MCP_DIR)/node_modules ] && \
		[ ! $(MCP_DIR)/package-lock.json -nt $(MCP_DIR)/node_modules ]; \
	then echo "mcp-deps: $(MCP_DIR)/node_modules up to date"; exit 0; fi; \
	if ! command -v npm >/dev/null 2>&1; then \
		echo "mcp-deps: npm missing, installing nodejs npm"; \
		$(APT_GET) install -y --no-install-recommends nodejs npm || { \
		$(APT_GET) update && \
		$(APT_GET) install -y --no-install-recommends nodejs npm; }; \
	fi; \
	command -v npm >/dev/null 2>&1 || { echo "mcp-deps: npm not found;" \
		"install Node.js >= 18 with npm, then run make mcp-deps" >&2; \
		exit 1; }; \
	npm ci --prefix $(MCP_DIR) --no-audit --no-fund || { \
		rm -rf $(MCP_DIR)/node_modules; exit 1; }; \
	touch $(MCP_DIR)/node_modules

integration: $(BUILD)/kedge mcp-deps
	KEDGE=$(abspath $(BUILD)/kedge) KEDGE_IT_TIMEOUT=$${KEDGE_IT_TIMEOUT:-900} \
		tests/integration/run.sh

# The official MCP conformance suite and the Node 22 it needs, both pinned in
# tests/mcp/conformance (package-lock.json); npm ci fetches them from the npm
# registry (the package node@22 brings the node binary).
CONF_DIR := tests/mcp/conformance
conformance-deps: mcp-deps
	@if [ -d $(CONF_DIR)/node_modules ] && \
		[ ! $(CONF_DIR)/package-lock.json -nt $(CONF_DIR)/node_modules ]; \
	then echo "conformance-deps: $(CONF_DIR)/node_modules up to date"; \
		exit 0; fi; \
	command -v npm >/dev/null 2>&1 || { echo "conformance-deps: npm not" \
		"found; run make mcp-deps (installs it) or install npm" >&2; \
		exit 1; }; \
	npm ci --prefix $(CONF_DIR) --no-audit --no-fund || { \
		rm -rf $(CONF_DIR)/node_modules; exit 1; }; \
	touch $(CONF_DIR)/node_modules

conformance: $(BUILD)/kedge conformance-deps
	KEDGE=$(abspath $(BUILD)/kedge) tests/mcp/conformance.sh

check-only: $(BUILD)/kedge unit fuzz-replay schema-suite integration \
	conformance

check: deps
	$(MAKE) check-only

asan: deps
	$(MAKE) BUILD=build/asan SAN=1 check-only

demo: deps $(BUILD)/kedge
	KEDGE=$(abspath $(BUILD)/kedge) contrib/demo.sh

bench: $(BUILD)/kedge
	KEDGE=$(abspath $(BUILD)/kedge) bench/run.sh

# the MCP write path (issue 10): docs/benchmarks.md
bench-mcp: $(BUILD)/kedge
	KEDGE=$(abspath $(BUILD)/kedge) bench/mcp.sh

# the Prometheus rules part (issue 9): docs/benchmarks.md
bench-prometheus: $(BUILD)/kedge
	KEDGE=$(abspath $(BUILD)/kedge) bench/prometheus.sh

lint:
	@! grep -nE '\b(strcpy|strcat|strncpy|sprintf|vsprintf|strtok|gets|atoi|atol|gmtime|localtime)\s*\(' \
		$(filter-out reconciler/banned.h,$(wildcard reconciler/*.[ch])) \
		| grep -v 'BANNED\|_r(' || { echo "lint: banned function"; exit 1; }
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--inline-suppr -D__GNUC__ --std=c11 -Ireconciler \
		'-Djson_array_foreach(a,i,v)=for (i = 0; (v = json_array_get(a, i)); i++)' \
		'-Djson_object_foreach(o,k,v)=for (k = 0; (v = 0);)' \
		--suppress=missingIncludeSystem reconciler
	clang-tidy --quiet $(SRCS) -- $(ALL_CFLAGS) -Wno-unknown-warning-option

fmt:
	clang-format -i reconciler/*.[ch] tests/unit/*.[ch] tests/fuzz/*.c

fmt-check:
	clang-format --dry-run -Werror reconciler/*.[ch] tests/unit/*.[ch] \
		tests/fuzz/*.c

FUZZ_CC ?= clang
fuzz:
	@mkdir -p $(BUILD)/libfuzzer
	@for n in $(FUZZ_NAMES); do \
		$(FUZZ_CC) -std=c17 -D_GNU_SOURCE -g -O1 \
			-fsanitize=fuzzer,address,undefined -Ireconciler \
			$(PKG_CFLAGS) -DKEDGE_VERSION='"$(VERSION)"' \
			-o $(BUILD)/libfuzzer/fuzz-$$n tests/fuzz/fuzz-$$n.c \
			$(LIB_SRCS) $(PKG_LIBS) || exit 1; \
		mkdir -p $(BUILD)/libfuzzer/corpus-$$n; \
		$(BUILD)/libfuzzer/fuzz-$$n -max_total_time=$(FUZZ_SECONDS) \
			-max_len=65536 $(BUILD)/libfuzzer/corpus-$$n \
			tests/fuzz/corpus/$$n || exit 1; \
	done

install: $(BUILD)/kedge
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/kedge/schema \
		$(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(BUILD)/kedge $(DESTDIR)$(PREFIX)/bin/kedge
	install -m 644 schema/*.json $(DESTDIR)$(PREFIX)/share/kedge/schema/
	install -m 644 docs/kedge.1 $(DESTDIR)$(PREFIX)/share/man/man1/kedge.1

clean:
	rm -rf build

-include $(wildcard $(BUILD)/obj/*.d)
