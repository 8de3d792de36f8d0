/*
 * cmd_watch.c: `tinyfleetctl watch`, readings, health reports and alerts as
 * the daemon stores them, one line each, until Ctrl-C (or the daemon goes).
 * With --json every line is one JSON object {"type": ..., ...}.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ctl_client.h"
#include "json.h"
#include "out.h"

const char cmd_watch_usage[] = "  watch [--node N] [--json]\n"
                               "      follows new readings, health reports and alerts live until "
                               "Ctrl-C\n";

struct watch_ctx {
	bool json;
};

static void
watch_time(int64_t t_ms, char *buf, size_t size)
{
	char iso[40];

	out_iso(t_ms, iso, sizeof(iso));
	/* HH:MM:SS.mmm of the UTC time: enough on a live tail. */
	snprintf(buf, size, "%.12s", iso + 11);
}

static void
json_line_begin(struct json *j, const char *type)
{
	json_init(j, stdout);
	json_begin_object(j);
	json_key(j, "type");
	json_string(j, type);
	json_key(j, "data");
}

static int
watch_page(void *arg, const CtlResponse *rsp)
{
	struct watch_ctx *x = arg;
	struct json j;
	char t[24];

	switch (rsp->body_case) {
	case TINYFLEET__V1__CTL_RESPONSE__BODY_READINGS:
		for (size_t i = 0; rsp->readings && i < rsp->readings->n_readings; i++) {
			const Tinyfleet__V1__CtlReading *r = rsp->readings->readings[i];

			if (x->json) {
				json_line_begin(&j, "reading");
				ctl_json_reading(&j, r);
				json_end_object(&j);
				json_finish(&j);
				continue;
			}
			watch_time(r->t_ms, t, sizeof(t));
			if (r->label_name[0])
				printf("%s  reading  %-16s seq %-6u %s %.3f\n", t, r->node, r->seq,
				       r->label_name, r->score);
			else
				printf("%s  reading  %-16s seq %-6u label %u %.3f\n", t, r->node,
				       r->seq, r->label, r->score);
		}
		break;
	case TINYFLEET__V1__CTL_RESPONSE__BODY_HEALTH:
		for (size_t i = 0; rsp->health && i < rsp->health->n_rows; i++) {
			const Tinyfleet__V1__CtlHealthRow *h = rsp->health->rows[i];

			if (x->json) {
				json_line_begin(&j, "health");
				ctl_json_health(&j, h);
				json_end_object(&j);
				json_finish(&j);
				continue;
			}
			watch_time(h->t_ms, t, sizeof(t));
			printf("%s  health   %-16s battery %u mV, rssi %d dBm, %u reboots, %u "
			       "errors\n",
			       t, h->node, h->battery_mv, h->rssi_dbm, h->reboots,
			       h->inference_errors);
		}
		break;
	case TINYFLEET__V1__CTL_RESPONSE__BODY_ALERTS:
		for (size_t i = 0; rsp->alerts && i < rsp->alerts->n_alerts; i++) {
			const Tinyfleet__V1__CtlAlert *a = rsp->alerts->alerts[i];
			bool cleared = a->cleared_ms != 0 && a->cleared_ms == a->t_ms;

			if (x->json) {
				json_line_begin(&j, "alert");
				ctl_json_alert(&j, a);
				json_end_object(&j);
				json_finish(&j);
				continue;
			}
			watch_time(a->t_ms, t, sizeof(t));
			printf("%s  alert    %-16s %s %s %s: %s\n", t,
			       a->node_id ? a->node : "(gateway)", a->severity,
			       a->rule[0] ? a->rule : a->kind, cleared ? "cleared" : "RAISED",
			       a->message);
		}
		break;
	default:
		return cli_fail("unexpected answer from tinyfleetd");
	}
	fflush(stdout);
	return CLI_OK;
}

int
cmd_watch(int argc, char **argv)
{
	Tinyfleet__V1__CtlWatchReq w = TINYFLEET__V1__CTL_WATCH_REQ__INIT;
	CtlRequest req = TINYFLEET__V1__CTL_REQUEST__INIT;
	const char *node = NULL, *socket = NULL;
	struct watch_ctx x = {0};
	bool help;
	const struct ctl_opt opts[] = {{"--node", CTL_OPT_STR, &node},
	                               {"--json", CTL_OPT_FLAG, &x.json},
	                               {"--socket", CTL_OPT_STR, &socket}};
	size_t npos;
	int r;

	r = ctl_parse(argc, argv, opts, 3, cmd_watch_usage, NULL, 0, &npos, &help);
	if (r != CLI_OK || help)
		return r;
	w.node = (char *)(node ? node : "");
	req.body_case = TINYFLEET__V1__CTL_REQUEST__BODY_WATCH;
	req.watch = &w;
	/* Ctrl-C ends the process (default action); a closed pipe likewise. */
	signal(SIGPIPE, SIG_DFL);
	if (!x.json)
		fprintf(stderr, "watching%s%s (Ctrl-C to stop)\n", node ? " node " : "",
		        node ? node : "");
	return ctl_call_stream(socket, &req, watch_page, &x, NULL, NULL);
}
