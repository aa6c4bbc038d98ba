/*
 * verify-int.h: what the verify*.c files share; not for other modules.
 *
 * Owns: the checks across files that verify_desired() runs, one file per
 * concern (verify-ports.c, verify-backups.c, verify-files.c for rule
 * files), and the position lookup they use. Does not own: the public
 * entry points (verify.h).
 */
#ifndef RECONCILER_VERIFY_INT_H
#define RECONCILER_VERIFY_INT_H

struct desired;
struct desired_doc;
struct diag;

/* The line and column of a JSON pointer in doc; 0 and 0 when unknown. */
void verify_doc_pos(const struct desired_doc *doc, const char *ptr,
                    unsigned *line, unsigned *col);
/*
 * Published ports of every stack: each short port parsed by the
 * converter's parser (a refusal is reported where it is written), and a
 * port that two services publish on the same protocol reported once per
 * entry and earlier service. Linear in the ports written.
 */
void verify_ports(const struct desired *d, struct diag *diag);
/* Backup schedules, time zones, targets and unique names. */
void verify_backups(const struct desired *d, struct diag *diag);

#endif
