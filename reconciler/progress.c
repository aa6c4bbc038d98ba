/*
 * progress.c: the terminal view of an apply, declared in progress.h.
 *
 * On a terminal every convergence line is redrawn at each poll; otherwise
 * (logs, CI) only the services whose line changed are printed.
 */
#include "progress.h"
#include "apply.h"
#include "converge.h"
#include "err.h"
#include "plan.h"

static void show(struct progress *pr, const struct converge *c)
{
	FILE *fp = pr->out;

	if (pr->tty && pr->drawn)
		fprintf(fp, "\033[%zuA", c->nr);
	for (size_t i = 0; i < c->nr; i++) {
		const struct converge_item *it = &c->items[i];

		if (!pr->tty && pr->drawn && !it->changed)
			continue;
		fprintf(fp, "%s  %-40s %ld/%ld running  %s%s%s%s\n",
		        pr->tty ? "\033[2K" : "", it->name, it->running,
		        it->desired, converge_state_name(it->state),
		        it->detail ? " (" : "", it->detail ? it->detail : "",
		        it->detail ? ")" : "");
	}
	pr->drawn = 1;
	fflush(fp);
}

static int any_changed(const struct converge *c)
{
	for (size_t i = 0; i < c->nr; i++)
		if (c->items[i].changed)
			return 1;
	return 0;
}

void progress_event(void *ctx, const struct apply_event *ev)
{
	struct progress *pr = ctx;
	const struct plan_action *a = ev->action;

	if (ev->kind == APPLY_WARNING) {
		fprintf(stderr, "warning: %s\n", ev->message);
		return;
	}
	if (!pr->out)
		return;
	switch (ev->kind) {
	case APPLY_ACTION_DONE:
		fprintf(pr->out, "%c %s %s %s: done\n", "+~-~"[a->op],
		        plan_op_name(a->op), plan_kind_name(a->kind),
		        a -> name);
		break;
	case APPLY_WAIT_STARTED:
		fprintf(pr->out,
		        "waiting for %zu service%s to converge (timeout "
		        "%lds)\n",
		        ev->converge->nr, ev->converge->nr == 1 ? "" : "s",
		        ev->timeout_sec);
		pr->drawn = 0;
		break;
	case APPLY_CONVERGE:
		if (pr->tty || any_changed(ev->converge) || !pr->drawn)
			show(pr, ev->converge);
		break;
	case APPLY_ACTION_STARTED:
	case APPLY_ACTION_FAILED:
	case APPLY_WARNING:
		break;
	}
}
