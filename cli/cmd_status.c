/*
 * cmd_status.c: `tinyfleetctl status`, the gateway at a glance.
 */
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"
#include "ctl_client.h"
#include "json.h"
#include "out.h"

const char cmd_status_usage[] =
        "  status [--json] [--socket PATH]\n"
        "      gateway id, uptime, version, nodes online/total, readings/s, seqs the\n"
        "      nodes abandoned (data lost), outbox depth and broker state, database size,\n"
        "      active rollouts, open alerts\n";

static void
status_json(const Tinyfleet__V1__CtlStatus *s)
{
	struct json j;

	json_init(&j, stdout);
	json_begin_object(&j);
	json_key(&j, "gateway_id");
	json_string(&j, s->gateway_id);
	json_key(&j, "version");
	json_string(&j, s->version);
	json_key(&j, "uptime_s");
	json_int(&j, s->uptime_s);
	json_key(&j, "nodes_total");
	json_int(&j, s->nodes_total);
	json_key(&j, "nodes_online");
	json_int(&j, s->nodes_online);
	json_key(&j, "readings_per_s");
	json_double(&j, s->readings_per_s);
	json_key(&j, "readings_stored");
	json_int(&j, (int64_t)s->readings_stored);
	json_key(&j, "frames_dropped");
	json_int(&j, (int64_t)s->frames_dropped);
	json_key(&j, "seqs_abandoned");
	json_int(&j, (int64_t)s->seqs_abandoned);
	json_key(&j, "outbox_rows");
	json_int(&j, s->outbox_rows);
	json_key(&j, "broker");
	json_string(&j, s->broker);
	json_key(&j, "db_bytes");
	json_int(&j, s->db_bytes);
	json_key(&j, "rollouts_active");
	json_int(&j, s->rollouts_active);
	json_key(&j, "alerts_open");
	json_int(&j, s->alerts_open);
	json_key(&j, "store_failing");
	json_bool(&j, s->store_failing);
	json_end_object(&j);
	json_finish(&j);
}

static void
status_text(const Tinyfleet__V1__CtlStatus *s)
{
	char up[32], db[32];

	out_duration(s->uptime_s, up, sizeof(up));
	out_bytes(s->db_bytes, db, sizeof(db));
	printf("gateway     %s\n", s->gateway_id);
	printf("version     %s\n", s->version);
	printf("uptime      %s\n", up);
	printf("nodes       %u online / %u total\n", s->nodes_online, s->nodes_total);
	printf("readings    %.1f/s (%" PRIu64 " stored since start, %" PRIu64 " frames dropped)\n",
	       s->readings_per_s, s->readings_stored, s->frames_dropped);
	if (s->seqs_abandoned > 0)
		printf("abandoned   %" PRIu64 " seqs: dropped by nodes (outbox full), never stored "
		       "(nodes show ID: which)\n",
		       s->seqs_abandoned);
	else
		printf("abandoned   0 seqs\n");
	printf("outbox      %" PRId64 " rows, broker %s\n", s->outbox_rows, s->broker);
	printf("database    %s%s\n", db, s->store_failing ? "  (COMMITS FAILING)" : "");
	printf("rollouts    %u active\n", s->rollouts_active);
	printf("alerts      %u open\n", s->alerts_open);
}

int
cmd_status(int argc, char **argv)
{
	Tinyfleet__V1__CtlStatusReq sr = TINYFLEET__V1__CTL_STATUS_REQ__INIT;
	CtlRequest req = TINYFLEET__V1__CTL_REQUEST__INIT;
	CtlResponse *rsp = NULL;
	const char *socket = NULL;
	bool json = false, help;
	const struct ctl_opt opts[] = {
	        {"--json", CTL_OPT_FLAG, &json},
	        {"--socket", CTL_OPT_STR, &socket},
	};
	size_t npos;
	int r;

	r = ctl_parse(argc, argv, opts, 2, cmd_status_usage, NULL, 0, &npos, &help);
	if (r != CLI_OK || help)
		return r;
	req.body_case = TINYFLEET__V1__CTL_REQUEST__BODY_STATUS;
	req.status = &sr;
	if ((r = ctl_call(socket, &req, &rsp)) != CLI_OK)
		return r;
	if (rsp->body_case != TINYFLEET__V1__CTL_RESPONSE__BODY_STATUS || rsp->status == NULL) {
		ctl_response_free(rsp);
		return cli_fail("unexpected answer from tinyfleetd");
	}
	if (json)
		status_json(rsp->status);
	else
		status_text(rsp->status);
	ctl_response_free(rsp);
	return CLI_OK;
}
