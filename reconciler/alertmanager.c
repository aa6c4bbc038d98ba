/*
 * alertmanager.c: placeholder until the Alertmanager module lands; every
 * call says that Alertmanager is not managed yet.
 */
#include "alertmanager.h"
#include "err.h"

void am_verify(const struct desired *d, struct diag *diag)
{
	(void)d;
	(void)diag;
}

int am_plan_build(struct am_plan **out, const struct desired *d,
                  const struct am_opts *o, struct diag *diag, struct err *err)
{
	(void)d;
	(void)o;
	(void)diag;
	*out = NULL;
	return err_set(err, ERR_UNSUPPORTED,
	               "Alertmanager is not supported by this build");
}

int am_plan_empty(const struct am_plan *p)
{
	(void)p;
	return 1;
}

void am_plan_print(const struct am_plan *p, FILE *fp)
{
	(void)p;
	(void)fp;
}

struct json_t *am_plan_to_json(const struct am_plan *p)
{
	(void)p;
	return NULL;
}

int am_apply(const struct am_plan *p, const struct am_opts *o, struct err *err)
{
	(void)p;
	(void)o;
	return err_set(err, ERR_UNSUPPORTED,
	               "Alertmanager is not supported by this build");
}

void am_plan_free(struct am_plan *p)
{
	(void)p;
}
