/*
 * cmd_readings.c: `tinyfleetctl readings` and `tinyfleetctl health`, windows
 * of stored inference results and health reports, as a table, JSON or CSV.
 *
 * Without --since the answer is the latest --limit rows (default 100);
 * with --since it is the first --limit rows from that time on. Rows come in
 * time order either way.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ctl_client.h"
#include "json.h"
#include "out.h"

const char cmd_readings_usage[] =
        "  readings [--node N] [--since 1h|ISO-8601] [--until T] [--label L] [--limit N]\n"
        "           [--format table|json|csv] [--json]\n"
        "      stored inference results: the latest --limit (default 100), or from --since on\n";
const char cmd_health_usage[] =
        "  health [--node N] [--since 1h|ISO-8601] [--until T] [--limit N]\n"
        "         [--format table|json|csv] [--json]\n"
        "      stored health reports (battery, radio, uptime, memory, errors), likewise\n";

enum fmt { FMT_TABLE, FMT_JSON, FMT_CSV };

struct win_ctx {
	enum fmt fmt;
	bool health;
	struct json j;
	struct out_table t;
	int64_t now;
};

void
ctl_json_reading(struct json *j, const Tinyfleet__V1__CtlReading *r)
{
	json_begin_object(j);
	json_key(j, "id");
	json_int(j, r->id);
	json_key(j, "node_id");
	json_int(j, r->node_id);
	json_key(j, "node");
	json_string(j, r->node);
	json_key(j, "seq");
	json_int(j, r->seq);
	json_key(j, "t_ms");
	json_int(j, r->t_ms);
	json_key(j, "rx_ms");
	json_int(j, r->rx_ms);
	json_key(j, "model_id");
	json_int(j, r->model_id);
	json_key(j, "model_version");
	json_int(j, r->model_version);
	json_key(j, "label");
	json_int(j, r->label);
	json_key(j, "label_name");
	json_string(j, r->label_name);
	json_key(j, "score");
	json_double(j, r->score);
	json_key(j, "latency_us");
	json_int(j, r->latency_us);
	json_end_object(j);
}

static int
reading_row(struct win_ctx *x, const Tinyfleet__V1__CtlReading *r)
{
	char ago[32], seq[16], label[48], score[16], model[32], lat[16], iso[40];
	const char *cells[7];

	if (x->fmt == FMT_JSON) {
		ctl_json_reading(&x->j, r);
		return CLI_OK;
	}
	if (x->fmt == FMT_CSV) {
		out_iso(r->t_ms, iso, sizeof(iso));
		printf("%s,%" PRId64 ",%u,", iso, r->t_ms, r->node_id);
		out_csv_field(stdout, r->node);
		printf(",%u,%u,", r->seq, r->label);
		out_csv_field(stdout, r->label_name);
		printf(",%.6g,%u,%u,%u\n", r->score, r->model_id, r->model_version, r->latency_us);
		return CLI_OK;
	}
	out_ago(x->now, r->t_ms, ago, sizeof(ago));
	snprintf(seq, sizeof(seq), "%u", r->seq);
	if (r->label_name[0])
		snprintf(label, sizeof(label), "%s", r->label_name);
	else
		snprintf(label, sizeof(label), "%u", r->label);
	snprintf(score, sizeof(score), "%.3f", r->score);
	snprintf(model, sizeof(model), "%u v%u", r->model_id, r->model_version);
	snprintf(lat, sizeof(lat), "%.1f ms", r->latency_us / 1000.0);
	cells[0] = ago;
	cells[1] = r->node[0] ? r->node : "(removed)";
	cells[2] = seq;
	cells[3] = label;
	cells[4] = score;
	cells[5] = model;
	cells[6] = lat;
	return out_table_add(&x->t, cells) < 0 ? cli_fail("out of memory") : CLI_OK;
}

static int
health_row(struct win_ctx *x, const Tinyfleet__V1__CtlHealthRow *h)
{
	char ago[32], bat[16], rssi[16], up[32], boots[16], mem[32], inf[16], err[16], ob[16],
	        iso[40];
	const char *cells[10];

	if (x->fmt == FMT_JSON) {
		ctl_json_health(&x->j, h);
		return CLI_OK;
	}
	if (x->fmt == FMT_CSV) {
		out_iso(h->t_ms, iso, sizeof(iso));
		printf("%s,%" PRId64 ",%u,", iso, h->t_ms, h->node_id);
		out_csv_field(stdout, h->node);
		printf(",%u,%u,%d,%u,%u,%u,%u,%u,%u\n", h->seq, h->battery_mv, h->rssi_dbm,
		       h->uptime_s, h->reboots, h->free_mem_bytes, h->inferences,
		       h->inference_errors, h->outbox_depth);
		return CLI_OK;
	}
	out_ago(x->now, h->t_ms, ago, sizeof(ago));
	snprintf(bat, sizeof(bat), "%u mV", h->battery_mv);
	snprintf(rssi, sizeof(rssi), "%d dBm", h->rssi_dbm);
	out_duration(h->uptime_s, up, sizeof(up));
	snprintf(boots, sizeof(boots), "%u", h->reboots);
	out_bytes(h->free_mem_bytes, mem, sizeof(mem));
	snprintf(inf, sizeof(inf), "%u", h->inferences);
	snprintf(err, sizeof(err), "%u", h->inference_errors);
	snprintf(ob, sizeof(ob), "%u", h->outbox_depth);
	cells[0] = ago;
	cells[1] = h->node[0] ? h->node : "(removed)";
	cells[2] = bat;
	cells[3] = rssi;
	cells[4] = up;
	cells[5] = boots;
	cells[6] = mem;
	cells[7] = inf;
	cells[8] = err;
	cells[9] = ob;
	return out_table_add(&x->t, cells) < 0 ? cli_fail("out of memory") : CLI_OK;
}

static int
win_page(void *arg, const CtlResponse *rsp)
{
	struct win_ctx *x = arg;
	int r = CLI_OK;

	if (!x->health && rsp->body_case == TINYFLEET__V1__CTL_RESPONSE__BODY_READINGS &&
	    rsp->readings != NULL) {
		for (size_t i = 0; i < rsp->readings->n_readings && r == CLI_OK; i++)
			r = reading_row(x, rsp->readings->readings[i]);
		return r;
	}
	if (x->health && rsp->body_case == TINYFLEET__V1__CTL_RESPONSE__BODY_HEALTH &&
	    rsp->health != NULL) {
		for (size_t i = 0; i < rsp->health->n_rows && r == CLI_OK; i++)
			r = health_row(x, rsp->health->rows[i]);
		return r;
	}
	return cli_fail("unexpected answer from tinyfleetd");
}

static int
window(int argc, char **argv, bool health)
{
	static const char *const rhead[] = {"TIME",  "NODE",  "SEQ",    "LABEL",
	                                    "SCORE", "MODEL", "LATENCY"};
	static const bool rright[] = {false, false, true, false, true, false, true};
	static const char *const hhead[] = {"TIME",    "NODE", "BATTERY",    "RSSI",   "UPTIME",
	                                    "REBOOTS", "FREE", "INFERENCES", "ERRORS", "OUTBOX"};
	static const bool hright[] = {false, false, true, true, true, true, true, true, true, true};
	const char *usage = health ? cmd_health_usage : cmd_readings_usage;
	Tinyfleet__V1__CtlQueryReq q = TINYFLEET__V1__CTL_QUERY_REQ__INIT;
	CtlRequest req = TINYFLEET__V1__CTL_REQUEST__INIT;
	const char *node = NULL, *since = NULL, *until = NULL, *label = NULL, *limit = NULL,
	           *format = NULL, *socket = NULL;
	bool json = false, help, truncated = false;
	struct ctl_opt opts[] = {
	        {"--node", CTL_OPT_STR, &node},     {"--since", CTL_OPT_STR, &since},
	        {"--until", CTL_OPT_STR, &until},   {"--limit", CTL_OPT_STR, &limit},
	        {"--format", CTL_OPT_STR, &format}, {"--json", CTL_OPT_FLAG, &json},
	        {"--socket", CTL_OPT_STR, &socket}, {"--label", CTL_OPT_STR, &label},
	};
	struct win_ctx x = {.health = health};
	uint64_t rows = 0;
	size_t npos;
	int r;

	r = ctl_parse(argc, argv, opts, health ? 7 : 8, usage, NULL, 0, &npos, &help);
	if (r != CLI_OK || help)
		return r;
	x.now = out_now_ms();
	if (format == NULL || strcmp(format, "table") == 0)
		x.fmt = json ? FMT_JSON : FMT_TABLE;
	else if (strcmp(format, "json") == 0)
		x.fmt = FMT_JSON;
	else if (strcmp(format, "csv") == 0)
		x.fmt = FMT_CSV;
	else
		return cli_usage_error(usage, "--format is table, json or csv, not '%s'", format);
	if (since != NULL && out_parse_time(since, x.now, &q.since_ms) < 0)
		return cli_usage_error(usage,
		                       "--since: '%s' is neither a duration (90s, 15m, 1h, 2d) "
		                       "nor an ISO-8601 time",
		                       since);
	if (until != NULL && out_parse_time(until, x.now, &q.until_ms) < 0)
		return cli_usage_error(usage,
		                       "--until: '%s' is neither a duration nor an ISO-8601 "
		                       "time",
		                       until);
	if (q.since_ms < 0 || q.until_ms < 0)
		return cli_usage_error(usage, "times before 1970 are not supported");
	if (since != NULL && q.since_ms == 0)
		q.since_ms = 1; /* 0 would mean "no lower bound" */
	if (limit != NULL && ctl_parse_u32("--limit", limit, 1, 1000000, usage, &q.limit) != CLI_OK)
		return CLI_USAGE;
	q.node = (char *)(node ? node : "");
	q.label = (char *)(label ? label : "");
	q.page_size = 1000;
	if (health) {
		req.body_case = TINYFLEET__V1__CTL_REQUEST__BODY_HEALTH;
		req.health = &q;
		out_table_init(&x.t, 10, hhead, hright);
	} else {
		req.body_case = TINYFLEET__V1__CTL_REQUEST__BODY_READINGS;
		req.readings = &q;
		out_table_init(&x.t, 7, rhead, rright);
	}
	if (x.fmt == FMT_JSON) {
		json_init(&x.j, stdout);
		json_begin_array(&x.j);
	} else if (x.fmt == FMT_CSV) {
		if (health)
			printf("time,t_ms,node_id,node,seq,battery_mv,rssi_dbm,uptime_s,reboots,"
			       "free_mem_bytes,inferences,inference_errors,outbox_depth\n");
		else
			printf("time,t_ms,node_id,node,seq,label,label_name,score,model_id,"
			       "model_version,latency_us\n");
	}
	r = ctl_call_stream(socket, &req, win_page, &x, &rows, &truncated);
	if (x.fmt == FMT_JSON) {
		json_end_array(&x.j);
		json_finish(&x.j);
	} else if (x.fmt == FMT_TABLE && r == CLI_OK) {
		if (rows == 0)
			printf("no %s in that window\n", health ? "health reports" : "readings");
		else
			out_table_print(&x.t, stdout);
		if (truncated)
			fprintf(stderr, "(%" PRIu64 " rows: the --limit; there may be more)\n",
			        rows);
	}
	out_table_free(&x.t);
	return r;
}

int
cmd_readings(int argc, char **argv)
{
	return window(argc, argv, false);
}

int
cmd_health(int argc, char **argv)
{
	return window(argc, argv, true);
}
