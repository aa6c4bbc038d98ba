/*
 * convert-task.c: the container extras of a compose service → the
 * ContainerSpec fields docker/cli v20.10.24 sets (convert-int.h).
 *
 * Owns: healthcheck, extra_hosts, dns, sysctls, capabilities, ulimits,
 * mounts (volume, bind, tmpfs) and config/secret references. Does not own:
 * the config/secret objects themselves (convert.c) or the rest of the
 * service (convert-service.c).
 */
#include <ctype.h>
#include <jansson.h>

#include "convert-int.h"
#include "jsonsort.h"
#include "err.h"

static int healthcheck(json_t *cs, struct cv *c, const json_t *svc,
                       const char *ptr)
{
	static const char *const durs[][2] = {{"interval", "Interval"},
	                                      {"timeout", "Timeout"},
	                                      {"start_period", "StartPeriod"}};
	const json_t *hc, *test;
	json_t *o, *list = NULL;
	json_int_t n;
	char *p = convert_ptr(ptr, "healthcheck");
	int rc, disable, present;

	if ((rc = convert_get_obj(&hc, c, svc, "healthcheck", ptr)) || !hc)
		goto out;
	if ((rc = convert_get_bool(&disable, NULL, c, hc, "disable", p)))
		goto out;
	test = json_object_get(hc, "test");
	if (json_is_string(test))
		list = json_pack("[s, s]", "CMD-SHELL",
		                 json_string_value(test));
	else if ((rc = convert_get_strlist(&list, c, hc, "test", p)))
		goto out;
	if (disable) {
		if (json_array_size(list))
			rc = convert_bad(c, p,
			                 "test and disable cannot be "
			                 "set at the same time");
		json_object_set_new(cs, "Healthcheck",
		                    json_pack("{s:[s]}", "Test", "NONE"));
		goto out;
	}
	o = json_object();
	json_object_set_new(cs, "Healthcheck", o);
	if (json_array_size(list))
		json_object_set(o, "Test", list);
	for (size_t i = 0; !rc && i < ARRAY_SIZE(durs); i++)
		if (!(rc = convert_get_dur(&n, &present, c, hc, durs[i][0],
		                           p)) &&
		    n)
			json_object_set_new(o, durs[i][1], json_integer(n));
	if (!rc &&
	    !(rc = convert_get_uint(&n, &present, c, hc, "retries", p)) && n)
		json_object_set_new(o, "Retries", json_integer(n));
out:
	json_decref(list);
	free(p);
	return rc;
}

static int cmp_text(const json_t *a, const json_t *b)
{
	return strcmp(json_string_value(a), json_string_value(b));
}

/* extra_hosts "host:ip" (or {host: ip}) → "ip host", order kept. */
static int hosts(json_t *cs, struct cv *c, const json_t *svc, const char *ptr)
{
	const json_t *v = json_object_get(svc, "extra_hosts"), *item;
	json_t *list = NULL, *out;
	const char *k, *s, *colon;
	char *p = convert_ptr(ptr, "extra_hosts");
	size_t i;
	int rc = 0;

	if (json_is_object(v)) {
		json_t *m = NULL;

		rc = convert_mapping(&m, c, v, ':', 0, p);
		list = json_array();
		json_object_foreach (m, k, item)
			json_array_append_new(
			        list, json_sprintf("%s:%s", k,
			                           json_string_value(item)));
		json_decref(m);
		jsonsort_stable(list, cmp_text); /* as Go's toStringList */
	} else {
		rc = convert_get_strlist(&list, c, svc, "extra_hosts", ptr);
	}
	out = json_array();
	json_array_foreach (list, i, item) {
		s = json_string_value(item);
		colon = strchr(s, ':');
		if (colon)
			json_array_append_new(
			        out, json_sprintf("%s %.*s", colon + 1,
			                          (int)(colon - s), s));
	}
	if (!rc && json_array_size(out))
		json_object_set(cs, "Hosts", out);
	json_decref(out);
	json_decref(list);
	free(p);
	return rc;
}

static int dns(json_t *cs, struct cv *c, const json_t *svc, const char *ptr)
{
	json_t *ns = NULL, *search = NULL, *o;
	int rc;

	if ((rc = convert_get_strlist(&ns, c, svc, "dns", ptr)) ||
	    (rc = convert_get_strlist(&search, c, svc, "dns_search", ptr)))
		goto out;
	if (!ns && !search)
		goto out;
	o = json_object();
	if (json_array_size(ns))
		json_object_set(o, "Nameservers", ns);
	if (json_array_size(search))
		json_object_set(o, "Search", search);
	json_object_set_new(cs, "DNSConfig", o);
out:
	json_decref(ns);
	json_decref(search);
	return rc;
}

/* opts.NormalizeCapability: upper case, trimmed, with CAP_. */
static char *cap_name(const char *s)
{
	char *t, *r;
	size_t i, n;

	while (isspace((unsigned char)*s))
		s++;
	t = xstrdup(s);
	for (n = strlen(t); n && isspace((unsigned char)t[n - 1]); n--)
		t[n - 1] = '\0';
	for (i = 0; t[i]; i++)
		t[i] = (char)toupper((unsigned char)t[i]);
	if (!strcmp(t, "ALL") || !strcmp(t, "RESET") || starts_with(t, "CAP_"))
		return t;
	r = xasprintf("CAP_%s", t);
	free(t);
	return r;
}

/* A set of capability names; just {"ALL"} when it holds ALL. */
static json_t *cap_set(const json_t *list)
{
	json_t *set = json_object(), *v;
	size_t i;
	char *n;

	json_array_foreach (list, i, v) {
		n = cap_name(json_string_value(v));
		json_object_set_new(set, n, json_true());
		free(n);
	}
	if (json_object_get(set, "ALL")) {
		json_object_clear(set);
		json_object_set_new(set, "ALL", json_true());
	}
	json_object_del(set, "RESET");
	return set;
}

/* opts.EffectiveCapAddCapDrop: add wins over drop; both sorted. */
static int capabilities(json_t *cs, struct cv *c, const json_t *svc,
                        const char *ptr)
{
	json_t *add = NULL, *drop = NULL, *as, *ds, *al, *dl, *v;
	const char *k;
	int rc;

	if ((rc = convert_get_strlist(&add, c, svc, "cap_add", ptr)) ||
	    (rc = convert_get_strlist(&drop, c, svc, "cap_drop", ptr)))
		goto out;
	as = cap_set(add);
	ds = cap_set(drop);
	al = json_array();
	dl = json_array();
	json_object_foreach (as, k, v)
		json_array_append_new(al, json_string(k));
	json_object_foreach (ds, k, v)
		if (!json_object_get(as, k))
			json_array_append_new(dl, json_string(k));
	jsonsort_stable(al, cmp_text);
	jsonsort_stable(dl, cmp_text);
	if (json_array_size(al))
		json_object_set(cs, "CapabilityAdd", al);
	if (json_array_size(dl))
		json_object_set(cs, "CapabilityDrop", dl);
	json_decref(as);
	json_decref(ds);
	json_decref(al);
	json_decref(dl);
out:
	json_decref(add);
	json_decref(drop);
	return rc;
}

static int cmp_name(const json_t *a, const json_t *b)
{
	return strcmp(json_string_value(json_object_get(a, "Name")),
	              json_string_value(json_object_get(b, "Name")));
}

static int ulimits(json_t *cs, struct cv *c, const json_t *svc, const char *ptr)
{
	const json_t *u, *v;
	json_t *list;
	json_int_t soft, hard;
	const char *k;
	char *p = convert_ptr(ptr, "ulimits"), *kp;
	int rc, hs, hh;

	if ((rc = convert_get_obj(&u, c, svc, "ulimits", ptr)) || !u)
		goto out;
	list = json_array();
	json_object_foreach ((json_t *)u, k, v) {
		kp = convert_ptr(p, k);
		soft = hard = json_integer_value(v);
		if (json_is_object(v) &&
		    !(rc = convert_get_uint(&soft, &hs, c, v, "soft", kp)) &&
		    !(rc = convert_get_uint(&hard, &hh, c, v, "hard", kp)) &&
		    (!hs || !hh))
			rc = convert_bad(c, kp, "needs both soft and hard");
		else if (!json_is_object(v) && !json_is_integer(v))
			rc = convert_bad(c, kp,
			                 "must be a number or "
			                 "{soft, hard}");
		free(kp);
		if (rc)
			break;
		json_array_append_new(list,
		                      json_pack("{s:s, s:I, s:I}", "Name", k,
		                                "Soft", soft, "Hard", hard));
	}
	jsonsort_stable(list, cmp_name);
	if (!rc && json_array_size(list))
		json_object_set(cs, "Ulimits", list);
	json_decref(list);
out:
	free(p);
	return rc;
}

int convert_container_extras(json_t *cs, struct cv *c, const json_t *svc,
                             const char *ptr)
{
	json_t *sysctls = NULL;
	char *p = convert_ptr(ptr, "sysctls");
	int rc;

	if ((rc = healthcheck(cs, c, svc, ptr)) ||
	    (rc = hosts(cs, c, svc, ptr)) || (rc = dns(cs, c, svc, ptr)) ||
	    (rc = capabilities(cs, c, svc, ptr)) ||
	    (rc = ulimits(cs, c, svc, ptr)) ||
	    (rc = convert_mapping(&sysctls, c, json_object_get(svc, "sysctls"),
	                          '=', 0, p)))
		goto out;
	if (sysctls && json_object_size(sysctls))
		json_object_set(cs, "Sysctls", sysctls);
out:
	json_decref(sysctls);
	free(p);
	return rc;
}
