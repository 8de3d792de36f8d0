/*
 * cli.h: what the files of tinyfleetctl share: exit codes, the command table
 * entry, usage-error reporting and the command groups' entry points.
 *
 * Each command group lives in its own file (cmd_model.c, ...) and exports one
 * handler that receives the arguments after the group's name.
 */
#ifndef TF_CLI_H
#define TF_CLI_H

/* Exit codes (documented in docs/OPERATIONS.md). */
enum cli_exit {
	CLI_OK = 0,          /* the command did what was asked */
	CLI_FAILED = 1,      /* it ran but failed (bad file, model error, ...) */
	CLI_USAGE = 2,       /* bad command line */
	CLI_UNREACHABLE = 3, /* the daemon's control socket cannot be reached */
};

/* One entry of a command table: name, handler, one-line usage. The handler
 * gets argv[0] = its own name and returns an enum cli_exit value. */
struct cli_cmd {
	const char *name;
	int (*handler)(int argc, char **argv);
	const char *usage;
};

/*
 * Prints "tinyfleetctl: <message>" and the usage lines to stderr; returns
 * CLI_USAGE so callers can `return cli_usage_error(...)`.
 */
int cli_usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "tinyfleetctl: <message>" to stderr; returns CLI_FAILED. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* `tinyfleetctl model ...` (cmd_model.c): offline model tools on the core. */
int cmd_model(int argc, char **argv);
extern const char cmd_model_usage[];

#endif
