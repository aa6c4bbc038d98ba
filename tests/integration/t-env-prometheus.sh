# needs: prometheus
# t-env-prometheus.sh: the harness's Prometheus answers, loads rule files
# from KEDGE_TEST_PROM_RULES_DIR and reloads on POST /-/reload.

case_begin "/-/ready answers"
body=$(curl -fsS --max-time 10 "$KEDGE_TEST_PROM_URL/-/ready") || fail "/-/ready failed"
[[ "$body" == *Ready* ]] || fail "unexpected /-/ready body: $body"

case_begin "a rule file written to the rules folder appears after reload"
group=kedge_env_$$
cat >"$KEDGE_TEST_PROM_RULES_DIR/env-test.yml" <<YAML
groups:
  - name: $group
    rules:
      - alert: KedgeEnvTest
        expr: vector(1) > 2
        for: 1m
YAML
rules=$(curl -fsS --max-time 10 "$KEDGE_TEST_PROM_URL/api/v1/rules")
[[ "$rules" != *"\"$group\""* ]] || fail "group present before reload"
curl -fsS --max-time 30 -X POST "$KEDGE_TEST_PROM_URL/-/reload" ||
	fail "POST /-/reload failed"
rules=$(curl -fsS --max-time 10 "$KEDGE_TEST_PROM_URL/api/v1/rules")
[[ "$rules" == *"\"name\":\"$group\""* ]] || fail "group $group not in /api/v1/rules: $rules"
[[ "$rules" == *'"name":"KedgeEnvTest"'* ]] || fail "alert KedgeEnvTest not listed"
rm -f "$KEDGE_TEST_PROM_RULES_DIR/env-test.yml"
curl -fsS --max-time 30 -X POST "$KEDGE_TEST_PROM_URL/-/reload" || fail "second reload failed"
grep -qF "$KEDGE_TEST_PROM_RULES_DIR/*.yml" "$KEDGE_TEST_PROM_CONFIG" ||
	fail "config does not point rule_files at the rules folder"
