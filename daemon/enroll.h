/*
 * enroll: putting nodes into the database until tinyfleetctl exists.
 *
 * Provisioning records (what `tinyfleet-node --provision FILE` reads), one
 * node per line, `#` lines are comments:
 *     node_id,key_hex64,gateway_host:port,name
 * Import CSV (a manufacturing line's list of nodes that already have keys),
 * one node per line, `#` comments, an optional header line starting "node_id":
 *     node_id,key_hex64,name[,tags]
 * node_id may be empty or 0 (the daemon assigns one); tags inside the field
 * are separated by ';' (the CSV's commas separate fields).
 * Files holding keys are created 0600. Keys never go to the log.
 */
#ifndef TF_DAEMON_ENROLL_H
#define TF_DAEMON_ENROLL_H

#include <stdio.h>

#include "store.h"

/* Enrolls one node with a fresh random key and writes its record to out. */
int enroll_one(struct store *st, const char *name, const char *tags, const char *gateway,
               FILE *out);
/*
 * Enrolls n nodes named <prefix><id> in one transaction and writes their
 * records to out. Returns 0 or an error (nothing enrolled then).
 */
int enroll_batch(struct store *st, unsigned n, const char *prefix, const char *tags,
                 const char *gateway, FILE *out);
/*
 * Imports the CSV at path in one transaction. On a bad line returns -EINVAL
 * and writes "path:line: what" to err; nothing is imported then.
 * *ret_n = nodes imported.
 */
int enroll_import(struct store *st, const char *path, unsigned *ret_n, char *err, size_t errlen);
/* Opens path for writing keys: created 0600, truncated. NULL with errno on failure. */
FILE *enroll_open_secret(const char *path);

#endif
