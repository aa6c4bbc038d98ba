# needs: postgres
# t-env-postgres.sh: the harness's PostgreSQL answers on its socket and the
# kedge database is writable.

case_begin "select 1 on the DSN"
v=$(psql "$KEDGE_TEST_PG_DSN" -XAtqc 'select 1' 2>&1) || fail "psql failed: $v"
assert_eq "$v" 1 "select 1"

case_begin "the kedge database takes a table"
v=$(psql "$KEDGE_TEST_PG_DSN" -XAtq -v ON_ERROR_STOP=1 \
	-c 'create table env_t(x int)' -c 'insert into env_t values (42)' \
	-c 'select x from env_t' -c 'drop table env_t' 2>&1) || fail "psql failed: $v"
assert_eq "$v" 42 "value read back"
assert_eq "$(psql -XAtqc 'select current_database()')" kedge "PG* variables select kedge"
