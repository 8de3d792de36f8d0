/*
 * cmd_alerts.c: `tinyfleetctl alerts`, raised alerts newest first, and
 * `tinyfleetctl alerts ack ID`.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ctl_client.h"
#include "json.h"
#include "out.h"

const char cmd_alerts_usage[] =
        "  alerts [--open] [--node N] [--limit N] [--json]\n"
        "      raised alerts, newest first: open or cleared, and who acknowledged them\n"
        "  alerts ack ID [--json]\n"
        "      acknowledges an alert (it stays open until its condition clears)\n";

struct alerts_ctx {
	bool json;
	struct json j;
	struct out_table t;
	int64_t now;
};

static int
alerts_page(void *arg, const CtlResponse *rsp)
{
	struct alerts_ctx *x = arg;

	if (rsp->body_case != TINYFLEET__V1__CTL_RESPONSE__BODY_ALERTS || rsp->alerts == NULL)
		return cli_fail("unexpected answer from tinyfleetd");
	for (size_t i = 0; i < rsp->alerts->n_alerts; i++) {
		const Tinyfleet__V1__CtlAlert *a = rsp->alerts->alerts[i];
		char id[24], ago[32], state[48], ack[48], node[80];
		const char *cells[8];

		if (x->json) {
			ctl_json_alert(&x->j, a);
			continue;
		}
		snprintf(id, sizeof(id), "%" PRId64, a->id);
		out_ago(x->now, a->t_ms, ago, sizeof(ago));
		if (a->cleared_ms) {
			char c[32];

			out_ago(x->now, a->cleared_ms, c, sizeof(c));
			snprintf(state, sizeof(state), "cleared %s", c);
		} else {
			snprintf(state, sizeof(state), "open");
		}
		if (a->acked_ms) {
			char c[32];

			out_ago(x->now, a->acked_ms, c, sizeof(c));
			snprintf(ack, sizeof(ack), "uid %" PRId64 " %s", a->acked_uid, c);
		} else {
			snprintf(ack, sizeof(ack), "-");
		}
		if (a->node_id == 0)
			snprintf(node, sizeof(node), "(gateway)");
		else
			snprintf(node, sizeof(node), "%s", a->node[0] ? a->node : "(removed)");
		cells[0] = id;
		cells[1] = ago;
		cells[2] = a->severity;
		cells[3] = a->rule[0] ? a->rule : a->kind;
		cells[4] = node;
		cells[5] = state;
		cells[6] = ack;
		cells[7] = a->message;
		if (out_table_add(&x->t, cells) < 0)
			return cli_fail("out of memory");
	}
	return CLI_OK;
}

static int
alerts_ack(int argc, char **argv)
{
	Tinyfleet__V1__CtlAlertAckReq ack = TINYFLEET__V1__CTL_ALERT_ACK_REQ__INIT;
	CtlRequest req = TINYFLEET__V1__CTL_REQUEST__INIT;
	CtlResponse *rsp = NULL;
	const char *pos[1], *socket = NULL;
	bool json = false, help;
	const struct ctl_opt opts[] = {{"--json", CTL_OPT_FLAG, &json},
	                               {"--socket", CTL_OPT_STR, &socket}};
	char *end;
	size_t npos;
	int r;

	r = ctl_parse(argc, argv, opts, 2, cmd_alerts_usage, pos, 1, &npos, &help);
	if (r != CLI_OK || help)
		return r;
	if (npos != 1)
		return cli_usage_error(cmd_alerts_usage, "alerts ack: which alert id?");
	ack.id = strtoll(pos[0], &end, 10);
	if (*end != '\0' || ack.id <= 0)
		return cli_usage_error(cmd_alerts_usage, "alerts ack: '%s' is not an alert id",
		                       pos[0]);
	req.body_case = TINYFLEET__V1__CTL_REQUEST__BODY_ALERT_ACK;
	req.alert_ack = &ack;
	if ((r = ctl_call(socket, &req, &rsp)) != CLI_OK)
		return r;
	if (rsp->body_case != TINYFLEET__V1__CTL_RESPONSE__BODY_DONE || rsp->done == NULL) {
		ctl_response_free(rsp);
		return cli_fail("unexpected answer from tinyfleetd");
	}
	if (json)
		printf("{\"ok\":true,\"id\":%" PRId64 "}\n", ack.id);
	else
		printf("%s\n", rsp->done->message);
	ctl_response_free(rsp);
	return CLI_OK;
}

int
cmd_alerts(int argc, char **argv)
{
	static const char *const head[] = {"ID",   "RAISED", "SEVERITY", "ALERT",
	                                   "NODE", "STATE",  "ACKED",    "MESSAGE"};
	static const bool right[] = {true, false, false, false, false, false, false, false};
	Tinyfleet__V1__CtlAlertsReq q = TINYFLEET__V1__CTL_ALERTS_REQ__INIT;
	CtlRequest req = TINYFLEET__V1__CTL_REQUEST__INIT;
	const char *node = NULL, *limit = NULL, *socket = NULL;
	bool open = false, help;
	struct alerts_ctx x = {0};
	const struct ctl_opt opts[] = {
	        {"--open", CTL_OPT_FLAG, &open},    {"--node", CTL_OPT_STR, &node},
	        {"--limit", CTL_OPT_STR, &limit},   {"--json", CTL_OPT_FLAG, &x.json},
	        {"--socket", CTL_OPT_STR, &socket},
	};
	uint64_t rows = 0;
	size_t npos;
	int r;

	if (argc >= 2 && strcmp(argv[1], "ack") == 0)
		return alerts_ack(argc - 1, argv + 1);
	r = ctl_parse(argc, argv, opts, 5, cmd_alerts_usage, NULL, 0, &npos, &help);
	if (r != CLI_OK || help)
		return r;
	if (limit != NULL &&
	    ctl_parse_u32("--limit", limit, 1, 1000000, cmd_alerts_usage, &q.limit) != CLI_OK)
		return CLI_USAGE;
	q.open_only = open;
	q.node = (char *)(node ? node : "");
	req.body_case = TINYFLEET__V1__CTL_REQUEST__BODY_ALERTS;
	req.alerts = &q;
	x.now = out_now_ms();
	out_table_init(&x.t, 8, head, right);
	if (x.json) {
		json_init(&x.j, stdout);
		json_begin_array(&x.j);
	}
	r = ctl_call_stream(socket, &req, alerts_page, &x, &rows, NULL);
	if (x.json) {
		json_end_array(&x.j);
		json_finish(&x.j);
	} else if (r == CLI_OK) {
		if (rows == 0)
			printf("no %salerts\n", open ? "open " : "");
		else
			out_table_print(&x.t, stdout);
	}
	out_table_free(&x.t);
	return r;
}
