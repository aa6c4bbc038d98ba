/*
 * cron.h: five-field cron schedules of backups, and time zone names.
 *
 * Owns: parsing and checking a cron expression ("30 2 * * *", "@daily"),
 * computing the next run after a given instant in an IANA time zone, and
 * checking that a time zone name exists in the system's zoneinfo database.
 * Does not own: running anything on a schedule, jitter, missed-run or
 * starting-deadline policy (the backup scheduler), or where the expression
 * sits in a file (the caller adds the location).
 *
 * Syntax: minute (0-59) hour (0-23) day-of-month (1-31) month (1-12 or
 * JAN-DEC) day-of-week (0-7 or SUN-SAT, 0 and 7 both Sunday), separated by
 * blanks. Each field is a comma-separated list of `*`, `N`, `N-M`, each
 * optionally followed by `/STEP`; `N/STEP` means N to the field's maximum
 * (as Kubernetes CronJob, robfig/cron, reads it). Names are
 * case-insensitive. Macros: @yearly (= @annually) "0 0 1 1 *", @monthly
 * "0 0 1 * *", @weekly "0 0 * * 0", @daily (= @midnight) "0 0 * * *",
 * @hourly "0 * * * *". Not accepted: a seconds field, `?`, `L`, `W`, `#`,
 * @reboot and @every.
 *
 * Day matching follows cron's rule: when both day-of-month and day-of-week
 * are restricted, a day matches when EITHER matches ("0 0 13 * 5" runs on
 * every 13th and every Friday). A field counts as unrestricted only when it
 * is exactly `*`, with no step or a step of 1; a star with a step of 2 or
 * more restricts it (robfig/cron's rule, which Kubernetes uses).
 */
#ifndef RECONCILER_CRON_H
#define RECONCILER_CRON_H

#include <time.h>

#include "util.h"

struct err;

/* A parsed schedule. Plain data: copy it freely, nothing to free. */
struct cron {
	uint64_t minutes;     /* bit m: minute m, 0-59 */
	uint32_t hours;       /* bit h: hour h, 0-23 */
	uint32_t doms;        /* bit d: day of month d, 1-31 */
	uint16_t months;      /* bit m: month m, 1-12 */
	uint8_t dows;         /* bit d: weekday d, 0 (Sunday) - 6 */
	unsigned dom_any : 1; /* day-of-month field was `*` */
	unsigned dow_any : 1; /* day-of-week field was `*` */
};

/*
 * Parses expr into *out. ERR_INVALID with a message that names the field
 * and quotes the bad part: "minute field '61' is out of range 0-59",
 * "expected 5 fields (minute hour day-of-month month day-of-week), got 6",
 * "day-of-month field '?' is not supported; use '*'". A schedule that can
 * never run ("0 0 30 2 *") is ERR_INVALID too.
 */
int cron_parse(struct cron *out, const char *expr, struct err *err) MUST_CHECK;

/*
 * Stores in *out the first run strictly after the instant `after`, with
 * the schedule read as wall-clock time in time zone tz (an IANA name such
 * as "Europe/Berlin"; NULL means UTC). Daylight saving time: a wall-clock
 * time that does not exist on a day (clocks jump forward over it) runs at
 * the moment the jump ends; a wall-clock time that happens twice (clocks go
 * back) runs once, at its first occurrence. ERR_INVALID for an unknown tz
 * (as cron_check_timezone), ERR_NOTFOUND when no run falls in the next ten
 * years.
 *
 * Thread-safe: the zone's offsets come from its TZif file (transitions,
 * then the footer's POSIX TZ rule), read into the call's own memory; the
 * environment (TZ) and the C library's local-time state are not touched.
 * ERR_INVALID also when the zone file cannot be read as TZif.
 */
int cron_next(time_t *out, const struct cron *c, time_t after, const char *tz,
              struct err *err) MUST_CHECK;

/*
 * Checks that tz names a time zone file of the zoneinfo database under
 * /usr/share/zoneinfo ("UTC", "Europe/Berlin", "America/Argentina/Salta").
 * ERR_INVALID for an empty name, an absolute path, a ".." component,
 * characters outside [A-Za-z0-9_+-/], or no such zone ("unknown time zone
 * 'Europe/Berln'"; with a hint when the case is wrong).
 */
int cron_check_timezone(const char *tz, struct err *err) MUST_CHECK;

#endif
