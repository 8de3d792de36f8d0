/*
 * tinyfleetctl: the operator's command line tool.
 *
 *	tinyfleetctl [--help] [--version] [--socket PATH] COMMAND [ARGS...]
 *
 * Commands come from the table below, one group per file (cmd_<group>.c).
 * The `model` group works offline on .tflite files through the inference
 * core; the daemon commands (added with the control socket) talk to
 * tinyfleetd and exit 3 when it cannot be reached.
 *
 * Exit codes: 0 ok, 1 failed, 2 usage, 3 daemon unreachable (cli.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ctl_client.h" /* the daemon commands (control socket) */

#ifndef TF_VERSION
#define TF_VERSION "0.1.0"
#endif

static const struct cli_cmd commands[] = {
        {"status", cmd_status, cmd_status_usage},       {"nodes", cmd_nodes, cmd_nodes_usage},
        {"readings", cmd_readings, cmd_readings_usage}, {"health", cmd_health, cmd_health_usage},
        {"watch", cmd_watch, cmd_watch_usage},          {"alerts", cmd_alerts, cmd_alerts_usage},
        {"model", cmd_model, cmd_model_usage},
};

static void
print_usage(FILE *f)
{
	size_t i;

	fprintf(f,
	        "usage: tinyfleetctl [--help] [--version] [--socket PATH] COMMAND [ARGS...]\n\n"
	        "  --socket PATH  the daemon's control socket, for every command (a command's own\n"
	        "                 --socket wins; default $" CTL_ENV_SOCKET
	        ", then " CTL_SERVICE_SOCKET
	        ",\n                 then ./control.sock)\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "%s", commands[i].usage);
	fprintf(f, "\nexit codes: 0 ok, 1 failed, 2 usage error, 3 daemon unreachable\n");
}

int
cli_usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tinyfleetctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage:\n%s", usage);
	return CLI_USAGE;
}

int
cli_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tinyfleetctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_FAILED;
}

int
main(int argc, char **argv)
{
	size_t i;

	/*
	 * A socket given before the command applies to every daemon command;
	 * it travels as the environment variable the commands already read, so
	 * a command's own --socket still wins.
	 */
	while (argc >= 2 && strncmp(argv[1], "--socket", 8) == 0 &&
	       (argv[1][8] == '\0' || argv[1][8] == '=')) {
		const char *path = argv[1][8] == '=' ? argv[1] + 9 : argv[2];
		int used = argv[1][8] == '=' ? 1 : 2;

		if (path == NULL || path[0] == '\0') {
			fprintf(stderr, "tinyfleetctl: --socket needs a path\n");
			return CLI_USAGE;
		}
		if (setenv(CTL_ENV_SOCKET, path, 1) != 0) {
			perror("tinyfleetctl: setenv");
			return CLI_FAILED;
		}
		argc -= used;
		argv += used;
	}
	if (argc < 2) {
		print_usage(stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		print_usage(stdout);
		return CLI_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("tinyfleetctl %s\n", TF_VERSION);
		return CLI_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].handler(argc - 1, argv + 1);
	fprintf(stderr, "tinyfleetctl: unknown command '%s'\n", argv[1]);
	print_usage(stderr);
	return CLI_USAGE;
}
