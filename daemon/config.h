/*
 * config: tinyfleetd's settings, parsed from an INI file (libinih) into one
 * immutable struct. Every key, its default and its meaning are in
 * config/tinyfleetd.conf. SIGHUP builds a new struct and swaps it in only when
 * the whole file parsed; a bad file leaves the running config untouched.
 *
 * Strings are fixed-size arrays so a struct config is a plain value: copy it,
 * compare it, free it with free().
 */
#ifndef TF_DAEMON_CONFIG_H
#define TF_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alerts.h"
#include "mqtt.h"

#define CONFIG_MAX_LISTEN 8   /* udp listen addresses */
#define CONFIG_MAX_SERIAL 8   /* serial devices */
#define CONFIG_STR        256 /* most strings */
#define CONFIG_PATH       1024

/* PRAGMA synchronous values, in SQLite's numbering. */
enum config_sync {
	CONFIG_SYNC_OFF = 0,
	CONFIG_SYNC_NORMAL = 1,
	CONFIG_SYNC_FULL = 2,
	CONFIG_SYNC_EXTRA = 3,
};

struct config {
	char path[CONFIG_PATH]; /* file it came from; "" = built-in defaults */

	/* [gateway] */
	int log_level;                    /* enum log_level */
	char enroll_address[CONFIG_STR];  /* host:port written into provisioning records */
	char control_socket[CONFIG_PATH]; /* control.c; "" = $RUNTIME_DIRECTORY or next to the db */
	char admin_group[CONFIG_STR];     /* control.c: members may change things; "" = none */

	/* [udp] */
	char udp_listen[CONFIG_MAX_LISTEN][CONFIG_STR]; /* "addr:port" or "[v6]:port" */
	size_t n_udp_listen;
	int64_t udp_rcvbuf; /* SO_RCVBUF bytes; 0 = kernel default */

	/* [serial] */
	char serial_device[CONFIG_MAX_SERIAL][CONFIG_PATH];
	size_t n_serial_device;
	int serial_baud;          /* bits per second */
	int serial_data_bits;     /* 5..8 */
	char serial_parity;       /* 'n', 'e', 'o' */
	int serial_stop_bits;     /* 1 or 2 */
	bool serial_rtscts;       /* hardware flow control */
	int serial_reopen_min_ms; /* first reopen delay */
	int serial_reopen_max_ms; /* cap of the doubling reopen delay */

	/* [store] */
	char db_path[CONFIG_PATH];
	int synchronous;             /* enum config_sync */
	int batch_size;              /* commit when this many records are staged */
	int batch_ms;                /* ... or this long after the first one */
	int busy_timeout_ms;         /* how long one statement waits for a lock */
	int64_t retention_age_s;     /* delete readings older than this; 0 = keep */
	int64_t retention_max_bytes; /* delete oldest readings/health above this; 0 = no cap */
	int retention_batch;         /* rows per delete step */
	int retention_interval_ms;   /* time between delete steps */
	int retry_min_ms;            /* first retry after a failed commit */
	int retry_max_ms;            /* cap of the doubling retry delay */

	/* [mqtt]: keys and defaults are mqtt.c's (mqtt_config_set) */
	struct mqtt_config mqtt;

	/* [alerts] and [rule:<name>]: keys and defaults are alerts.c's */
	struct alerts_config alerts;

	/* [gateway] internals */
	int housekeeping_ms; /* period of the housekeeping timer */
};

/* Fills *cfg with the built-in defaults (a demo works with them). */
void config_defaults(struct config *cfg);

/*
 * Parses the INI file at path over the defaults. On success stores a new
 * config in *ret_cfg (caller frees with free()) and returns 0. On failure
 * returns a negative errno (-ENOENT, -EINVAL, -ENOMEM) and writes a message
 * "file:line: what" naming the FIRST bad key into err (errlen bytes).
 */
int config_load(const char *path, struct config **ret_cfg, char *err, size_t errlen);

/* Same as config_load() over a string (tests); name is used in messages. */
int config_load_string(const char *name, const char *text, struct config **ret_cfg, char *err,
                       size_t errlen);

/* Splits "host:port", "[v6]:port" or "host" (default_port) into parts. */
int config_split_hostport(const char *s, int default_port, char *host, size_t hostlen,
                          int *ret_port);

#endif
