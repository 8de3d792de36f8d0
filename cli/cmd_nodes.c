/*
 * cmd_nodes.c: `tinyfleetctl nodes ...`, the enrolled nodes.
 *
 * Divisions: shared output of a node, list, show, the changes (add, import,
 * remove, tag, rekey), and the group's dispatch table.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "ctl_client.h"
#include "json.h"
#include "out.h"

#define IMPORT_MAX (4u << 20) /* the daemon's request limit, less the envelope */

static const char list_usage[] =
        "  nodes list [--tag T] [--state online|offline] [--sort id|name|last-seen] [--json]\n"
        "      enrolled nodes with their state, last contact, firmware and tags\n";
static const char show_usage[] =
        "  nodes show NODE [--json]\n"
        "      identity, firmware and core version, readings stored, seqs abandoned (data\n"
        "      the node lost), capabilities, the model in each slot, last health and\n"
        "      recent alerts of one node (NODE: name or id)\n";
static const char add_usage[] =
        "  nodes add NAME [--tags a,b] [--out FILE] [--json]\n"
        "      enrolls a node with a fresh key and prints its provisioning record (or\n"
        "      writes it to FILE, mode 0600)\n";
static const char import_usage[] =
        "  nodes import FILE.csv [--json]\n"
        "      enrolls every node of a CSV (node_id,key_hex64,name[,tags]) in one go\n";
static const char remove_usage[] = "  nodes remove NODE [--yes] [--json]\n"
                                   "      forgets a node (asks first unless --yes); its readings "
                                   "stay\n";
static const char tag_usage[] = "  nodes tag NODE +TAG... -TAG... [--json]\n"
                                "      adds (+) and removes (-) tags\n";
static const char rekey_usage[] =
        "  nodes rekey NODE [--out FILE] [--json]\n"
        "      gives a node a new key and prints its new provisioning record\n";

/* Every nodes command takes --socket PATH too (listed once in the group's usage). */
const char cmd_nodes_usage[] =
        "  nodes list [--tag T] [--state online|offline] [--sort id|name|last-seen] [--json]\n"
        "  nodes show NODE [--json]\n"
        "  nodes add NAME [--tags a,b] [--out FILE] [--json]\n"
        "  nodes import FILE.csv [--json]\n"
        "  nodes remove NODE [--yes] [--json]\n"
        "  nodes tag NODE +TAG... -TAG... [--json]\n"
        "  nodes rekey NODE [--out FILE] [--json]\n"
        "      (every daemon command also takes --socket PATH)\n";

/* ---- a node ---- */

static void
node_json(struct json *j, const Tinyfleet__V1__CtlNode *n)
{
	json_begin_object(j);
	json_key(j, "id");
	json_int(j, n->id);
	json_key(j, "name");
	json_string(j, n->name);
	json_key(j, "state");
	json_string(j, n->online ? "online" : "offline");
	json_key(j, "last_seen_ms");
	json_int(j, n->last_seen_ms);
	json_key(j, "tags");
	json_begin_array(j);
	for (const char *p = n->tags; p != NULL && *p;) {
		size_t l = strcspn(p, ",");

		if (l > 0)
			json_string_n(j, p, l);
		p += l + (p[l] == ',');
	}
	json_end_array(j);
	json_key(j, "firmware");
	json_string(j, n->firmware);
	json_key(j, "core_version");
	json_int(j, n->core_version);
	json_key(j, "created_ms");
	json_int(j, n->created_ms);
	json_key(j, "hello_ms");
	json_int(j, n->hello_ms);
	json_key(j, "seqs_abandoned");
	json_int(j, (int64_t)n->seqs_abandoned);
	json_end_object(j);
}

/* ---- list ---- */

struct list_ctx {
	bool json;
	struct json j;
	struct out_table t;
	int64_t now;
};

static int
list_page(void *arg, const CtlResponse *rsp)
{
	struct list_ctx *x = arg;

	if (rsp->body_case != TINYFLEET__V1__CTL_RESPONSE__BODY_NODES || rsp->nodes == NULL)
		return cli_fail("unexpected answer from tinyfleetd");
	for (size_t i = 0; i < rsp->nodes->n_nodes; i++) {
		const Tinyfleet__V1__CtlNode *n = rsp->nodes->nodes[i];
		char id[16], seen[32];
		const char *cells[6];

		if (x->json) {
			node_json(&x->j, n);
			continue;
		}
		snprintf(id, sizeof(id), "%u", n->id);
		out_ago(x->now, n->last_seen_ms, seen, sizeof(seen));
		cells[0] = id;
		cells[1] = n->name;
		cells[2] = n->online ? "online" : "offline";
		cells[3] = seen;
		cells[4] = n->firmware[0] ? n->firmware : "-";
		cells[5] = n->tags[0] ? n->tags : "-";
		if (out_table_add(&x->t, cells) < 0)
			return cli_fail("out of memory");
	}
	return CLI_OK;
}

static int
nodes_list(int argc, char **argv, const char *socket)
{
	static const char *const head[] = {"ID", "NAME", "STATE", "LAST SEEN", "FIRMWARE", "TAGS"};
	static const bool right[] = {true, false, false, false, false, false};
	Tinyfleet__V1__CtlNodesListReq q = TINYFLEET__V1__CTL_NODES_LIST_REQ__INIT;
	CtlRequest req = TINYFLEET__V1__CTL_REQUEST__INIT;
	const char *tag = NULL, *state = NULL, *sort = NULL, *sock2 = NULL;
	struct list_ctx x = {0};
	bool help;
	const struct ctl_opt opts[] = {
	        {"--tag", CTL_OPT_STR, &tag},      {"--state", CTL_OPT_STR, &state},
	        {"--sort", CTL_OPT_STR, &sort},    {"--json", CTL_OPT_FLAG, &x.json},
	        {"--socket", CTL_OPT_STR, &sock2},
	};
	size_t npos;
	int r;

	r = ctl_parse(argc, argv, opts, 5, list_usage, NULL, 0, &npos, &help);
	if (r != CLI_OK || help)
		return r;
	if (sock2 != NULL)
		socket = sock2;
	if (state == NULL)
		q.state = TINYFLEET__V1__CTL_NODE_STATE__CTL_NODE_STATE_ANY;
	else if (strcmp(state, "online") == 0)
		q.state = TINYFLEET__V1__CTL_NODE_STATE__CTL_NODE_STATE_ONLINE;
	else if (strcmp(state, "offline") == 0)
		q.state = TINYFLEET__V1__CTL_NODE_STATE__CTL_NODE_STATE_OFFLINE;
	else
		return cli_usage_error(list_usage, "--state is online or offline, not '%s'", state);
	if (sort == NULL || strcmp(sort, "id") == 0)
		q.sort = TINYFLEET__V1__CTL_NODE_SORT__CTL_NODE_SORT_ID;
	else if (strcmp(sort, "name") == 0)
		q.sort = TINYFLEET__V1__CTL_NODE_SORT__CTL_NODE_SORT_NAME;
	else if (strcmp(sort, "last-seen") == 0 || strcmp(sort, "last_seen") == 0)
		q.sort = TINYFLEET__V1__CTL_NODE_SORT__CTL_NODE_SORT_LAST_SEEN;
	else
		return cli_usage_error(list_usage, "--sort is id, name or last-seen, not '%s'",
		                       sort);
	q.tag = (char *)(tag != NULL ? tag : "");
	q.page_size = 1000;
	req.body_case = TINYFLEET__V1__CTL_REQUEST__BODY_NODES_LIST;
	req.nodes_list = &q;
	x.now = out_now_ms();
	out_table_init(&x.t, 6, head, right);
	if (x.json) {
		json_init(&x.j, stdout);
		json_begin_array(&x.j);
	}
	r = ctl_call_stream(socket, &req, list_page, &x, NULL, NULL);
	if (r == CLI_OK) {
		if (x.json) {
			json_end_array(&x.j);
			json_finish(&x.j);
		} else {
			out_table_print(&x.t, stdout);
		}
	} else if (x.json) {
		fputc('\n', stdout);
	}
	out_table_free(&x.t);
	return r;
}

/* ---- show ---- */

static void
health_line(const Tinyfleet__V1__CtlHealthRow *h, int64_t now, char *buf, size_t size)
{
	char ago[32], up[32], mem[32];

	out_ago(now, h->rx_ms, ago, sizeof(ago));
	out_duration(h->uptime_s, up, sizeof(up));
	out_bytes(h->free_mem_bytes, mem, sizeof(mem));
	snprintf(buf, size,
	         "battery %u mV, rssi %d dBm, up %s, %u reboots, free %s, %u inferences "
	         "(%u errors), outbox %u (%s)",
	         h->battery_mv, h->rssi_dbm, up, h->reboots, mem, h->inferences,
	         h->inference_errors, h->outbox_depth, ago);
}

void
ctl_json_health(struct json *j, const Tinyfleet__V1__CtlHealthRow *h)
{
	json_begin_object(j);
	json_key(j, "id");
	json_int(j, h->id);
	json_key(j, "node_id");
	json_int(j, h->node_id);
	json_key(j, "node");
	json_string(j, h->node);
	json_key(j, "seq");
	json_int(j, h->seq);
	json_key(j, "t_ms");
	json_int(j, h->t_ms);
	json_key(j, "rx_ms");
	json_int(j, h->rx_ms);
	json_key(j, "battery_mv");
	json_int(j, h->battery_mv);
	json_key(j, "rssi_dbm");
	json_int(j, h->rssi_dbm);
	json_key(j, "uptime_s");
	json_int(j, h->uptime_s);
	json_key(j, "reboots");
	json_int(j, h->reboots);
	json_key(j, "free_mem_bytes");
	json_int(j, h->free_mem_bytes);
	json_key(j, "inferences");
	json_int(j, h->inferences);
	json_key(j, "inference_errors");
	json_int(j, h->inference_errors);
	json_key(j, "outbox_depth");
	json_int(j, h->outbox_depth);
	json_end_object(j);
}

void
ctl_json_alert(struct json *j, const Tinyfleet__V1__CtlAlert *a)
{
	json_begin_object(j);
	json_key(j, "id");
	json_int(j, a->id);
	json_key(j, "node_id");
	json_int(j, a->node_id);
	json_key(j, "node");
	json_string(j, a->node);
	json_key(j, "t_ms");
	json_int(j, a->t_ms);
	json_key(j, "kind");
	json_string(j, a->kind);
	json_key(j, "rule");
	json_string(j, a->rule);
	json_key(j, "severity");
	json_string(j, a->severity);
	json_key(j, "message");
	json_string(j, a->message);
	json_key(j, "state");
	json_string(j, a->cleared_ms ? "cleared" : "open");
	json_key(j, "cleared_ms");
	json_int(j, a->cleared_ms);
	json_key(j, "acked_ms");
	json_int(j, a->acked_ms);
	json_key(j, "acked_uid");
	if (a->acked_ms)
		json_int(j, a->acked_uid);
	else
		json_null(j);
	json_end_object(j);
}

static int
nodes_show(int argc, char **argv, const char *socket)
{
	Tinyfleet__V1__CtlNodeRef ref = TINYFLEET__V1__CTL_NODE_REF__INIT;
	CtlRequest req = TINYFLEET__V1__CTL_REQUEST__INIT;
	const Tinyfleet__V1__CtlNodeDetail *d;
	const Tinyfleet__V1__CtlNode *n;
	CtlResponse *rsp = NULL;
	const char *pos[1], *sock2 = NULL;
	bool json = false, help;
	const struct ctl_opt opts[] = {{"--json", CTL_OPT_FLAG, &json},
	                               {"--socket", CTL_OPT_STR, &sock2}};
	char seen[32], made[32], hello[32], line[512];
	int64_t now = out_now_ms();
	size_t npos;
	int r;

	r = ctl_parse(argc, argv, opts, 2, show_usage, pos, 1, &npos, &help);
	if (r != CLI_OK || help)
		return r;
	if (npos != 1)
		return cli_usage_error(show_usage, "nodes show: which node?");
	ref.node = (char *)pos[0];
	req.body_case = TINYFLEET__V1__CTL_REQUEST__BODY_NODE_SHOW;
	req.node_show = &ref;
	if ((r = ctl_call(sock2 ? sock2 : socket, &req, &rsp)) != CLI_OK)
		return r;
	if (rsp->body_case != TINYFLEET__V1__CTL_RESPONSE__BODY_NODE || rsp->node == NULL ||
	    rsp->node->node == NULL) {
		ctl_response_free(rsp);
		return cli_fail("unexpected answer from tinyfleetd");
	}
	d = rsp->node;
	n = d->node;
	if (json) {
		struct json j;

		json_init(&j, stdout);
		json_begin_object(&j);
		json_key(&j, "node");
		node_json(&j, n);
		json_key(&j, "readings");
		json_int(&j, (int64_t)d->readings);
		json_key(&j, "capabilities");
		ctl_json_raw(&j, d->caps_json);
		json_key(&j, "model_status");
		ctl_json_raw(&j, d->model_status_json);
		json_key(&j, "last_health");
		if (d->last_health != NULL)
			ctl_json_health(&j, d->last_health);
		else
			json_null(&j);
		json_key(&j, "recent_alerts");
		json_begin_array(&j);
		for (size_t i = 0; i < d->n_recent_alerts; i++)
			ctl_json_alert(&j, d->recent_alerts[i]);
		json_end_array(&j);
		json_end_object(&j);
		json_finish(&j);
		ctl_response_free(rsp);
		return CLI_OK;
	}
	out_ago(now, n->last_seen_ms, seen, sizeof(seen));
	out_ago(now, n->created_ms, made, sizeof(made));
	out_ago(now, n->hello_ms, hello, sizeof(hello));
	printf("node          %s (id %u)\n", n->name, n->id);
	printf("state         %s, last seen %s\n", n->online ? "online" : "offline", seen);
	printf("tags          %s\n", n->tags[0] ? n->tags : "-");
	printf("enrolled      %s\n", made);
	if (n->firmware[0])
		printf("firmware      %s, core version %u (hello %s)\n", n->firmware,
		       n->core_version, hello);
	else
		printf("firmware      unknown (no Hello yet)\n");
	printf("readings      %" PRIu64 " stored\n", d->readings);
	if (n->seqs_abandoned > 0)
		printf("abandoned     %" PRIu64 " seqs: dropped by the node (outbox full), never "
		       "stored\n",
		       n->seqs_abandoned);
	else
		printf("abandoned     0 seqs\n");
	if (d->caps_json[0]) {
		char arena[32], slot[32];

		out_bytes(d->arena_bytes, arena, sizeof(arena));
		out_bytes(d->slot_size_bytes, slot, sizeof(slot));
		printf("hardware      %s: arena %s, %u model slots of %s, %u ops, sensors %s\n",
		       d->board[0] ? d->board : "?", arena, d->slot_count, slot, d->op_count,
		       d->sensors[0] ? d->sensors : "-");
	} else {
		printf("hardware      unknown (no Hello yet)\n");
	}
	if (d->n_slots == 0)
		printf("models        unknown (no ModelStatus yet)\n");
	else
		printf("models        active slot %u\n", d->active_slot);
	for (size_t i = 0; i < d->n_slots; i++) {
		const Tinyfleet__V1__CtlSlot *sl = d->slots[i];
		char size[32];

		out_bytes(sl->size_bytes, size, sizeof(size));
		if (sl->model_id == 0)
			printf("  slot %-6u  %s\n", sl->index, sl->state[0] ? sl->state : "empty");
		else
			printf("  slot %-6u  model %u v%u, %s, %s\n", sl->index, sl->model_id,
			       sl->model_version, size, sl->state);
	}
	if (d->last_health != NULL) {
		health_line(d->last_health, now, line, sizeof(line));
		printf("health        %s\n", line);
	} else {
		printf("health        no report yet\n");
	}
	printf("alerts        %s\n", d->n_recent_alerts ? "" : "none");
	for (size_t i = 0; i < d->n_recent_alerts; i++) {
		const Tinyfleet__V1__CtlAlert *a = d->recent_alerts[i];
		char ago[32];

		out_ago(now, a->t_ms, ago, sizeof(ago));
		printf("  #%-6" PRId64 " %-8s %-16s %-8s %s%s%s\n", a->id, a->severity, a->kind,
		       ago, a->cleared_ms ? "cleared" : "OPEN", a->message[0] ? ": " : "",
		       a->message);
	}
	ctl_response_free(rsp);
	return CLI_OK;
}

/* ---- changes ---- */

static int
write_secret(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t n = strlen(text);

	if (fd < 0)
		return cli_fail("'%s': %s", path, strerror(errno));
	/* An existing file keeps its mode: make sure the key is not readable by others. */
	if (fchmod(fd, 0600) < 0 || write(fd, text, n) != (ssize_t)n) {
		int e = errno;

		close(fd);
		return cli_fail("'%s': %s", path, strerror(e));
	}
	if (close(fd) < 0)
		return cli_fail("'%s': %s", path, strerror(errno));
	return CLI_OK;
}

/* Prints (or writes) a provisioning answer. */
static int
print_provision(const CtlResponse *rsp, const char *out, bool json, const char *what)
{
	const Tinyfleet__V1__CtlProvision *p = rsp->provision;
	int r;

	if (rsp->body_case != TINYFLEET__V1__CTL_RESPONSE__BODY_PROVISION || p == NULL)
		return cli_fail("unexpected answer from tinyfleetd");
	if (out != NULL && (r = write_secret(out, p->record)) != CLI_OK)
		return r;
	if (json) {
		struct json j;
		size_t l = strlen(p->record);

		json_init(&j, stdout);
		json_begin_object(&j);
		json_key(&j, "node_id");
		json_int(&j, p->node_id);
		json_key(&j, "record");
		if (out != NULL)
			json_null(&j);
		else
			json_string_n(&j, p->record, l && p->record[l - 1] == '\n' ? l - 1 : l);
		json_key(&j, "file");
		json_string(&j, out);
		json_end_object(&j);
		json_finish(&j);
	} else if (out != NULL) {
		printf("%s node %u; provisioning record written to '%s'\n", what, p->node_id, out);
	} else {
		fputs(p->record, stdout);
	}
	return CLI_OK;
}

static int
print_done(const CtlResponse *rsp, bool json)
{
	const Tinyfleet__V1__CtlDone *d = rsp->done;

	if (rsp->body_case != TINYFLEET__V1__CTL_RESPONSE__BODY_DONE || d == NULL)
		return cli_fail("unexpected answer from tinyfleetd");
	if (json) {
		struct json j;

		json_init(&j, stdout);
		json_begin_object(&j);
		json_key(&j, "ok");
		json_bool(&j, 1);
		json_key(&j, "count");
		json_int(&j, d->count);
		json_key(&j, "message");
		json_string(&j, d->message);
		json_end_object(&j);
		json_finish(&j);
	} else {
		printf("%s\n", d->message);
	}
	return CLI_OK;
}

static int
nodes_add(int argc, char **argv, const char *socket)
{
	Tinyfleet__V1__CtlNodeAddReq a = TINYFLEET__V1__CTL_NODE_ADD_REQ__INIT;
	CtlRequest req = TINYFLEET__V1__CTL_REQUEST__INIT;
	CtlResponse *rsp = NULL;
	const char *pos[1], *tags = NULL, *out = NULL, *sock2 = NULL;
	bool json = false, help;
	const struct ctl_opt opts[] = {{"--tags", CTL_OPT_STR, &tags},
	                               {"--out", CTL_OPT_STR, &out},
	                               {"--json", CTL_OPT_FLAG, &json},
	                               {"--socket", CTL_OPT_STR, &sock2}};
	size_t npos;
	int r;

	r = ctl_parse(argc, argv, opts, 4, add_usage, pos, 1, &npos, &help);
	if (r != CLI_OK || help)
		return r;
	if (npos != 1)
		return cli_usage_error(add_usage, "nodes add: which name?");
	a.name = (char *)pos[0];
	a.tags = (char *)(tags ? tags : "");
	req.body_case = TINYFLEET__V1__CTL_REQUEST__BODY_NODE_ADD;
	req.node_add = &a;
	if ((r = ctl_call(sock2 ? sock2 : socket, &req, &rsp)) != CLI_OK)
		return r;
	r = print_provision(rsp, out, json, "enrolled");
	ctl_response_free(rsp);
	return r;
}

static int
nodes_import(int argc, char **argv, const char *socket)
{
	Tinyfleet__V1__CtlNodesImportReq im = TINYFLEET__V1__CTL_NODES_IMPORT_REQ__INIT;
	CtlRequest req = TINYFLEET__V1__CTL_REQUEST__INIT;
	CtlResponse *rsp = NULL;
	const char *pos[1], *sock2 = NULL;
	bool json = false, help;
	const struct ctl_opt opts[] = {{"--json", CTL_OPT_FLAG, &json},
	                               {"--socket", CTL_OPT_STR, &sock2}};
	uint8_t *buf = NULL;
	size_t npos, len = 0;
	FILE *f;
	int r;

	r = ctl_parse(argc, argv, opts, 2, import_usage, pos, 1, &npos, &help);
	if (r != CLI_OK || help)
		return r;
	if (npos != 1)
		return cli_usage_error(import_usage, "nodes import: which file?");
	if ((f = fopen(pos[0], "rb")) == NULL)
		return cli_fail("'%s': %s", pos[0], strerror(errno));
	if ((buf = malloc(IMPORT_MAX + 1)) == NULL) {
		fclose(f);
		return cli_fail("out of memory");
	}
	len = fread(buf, 1, IMPORT_MAX + 1, f);
	fclose(f);
	if (len > IMPORT_MAX) {
		free(buf);
		return cli_fail("'%s': larger than %u bytes; split it", pos[0], IMPORT_MAX);
	}
	im.csv.data = buf;
	im.csv.len = len;
	req.body_case = TINYFLEET__V1__CTL_REQUEST__BODY_NODES_IMPORT;
	req.nodes_import = &im;
	r = ctl_call(sock2 ? sock2 : socket, &req, &rsp);
	free(buf);
	if (r != CLI_OK) {
		if (r == CLI_FAILED)
			fprintf(stderr, "tinyfleetctl: (in '%s')\n", pos[0]);
		return r;
	}
	r = print_done(rsp, json);
	ctl_response_free(rsp);
	return r;
}

static int
nodes_ref_call(int argc, char **argv, const char *socket, const char *usage, int body,
               bool ask_confirm)
{
	Tinyfleet__V1__CtlNodeRef ref = TINYFLEET__V1__CTL_NODE_REF__INIT;
	CtlRequest req = TINYFLEET__V1__CTL_REQUEST__INIT;
	CtlResponse *rsp = NULL;
	const char *pos[1], *out = NULL, *sock2 = NULL;
	bool json = false, yes = false, help;
	struct ctl_opt opts[4] = {{"--json", CTL_OPT_FLAG, &json},
	                          {"--socket", CTL_OPT_STR, &sock2}};
	size_t npos, nopts = 2;
	int r;

	opts[nopts++] = ask_confirm ? (struct ctl_opt){"--yes", CTL_OPT_FLAG, &yes}
	                            : (struct ctl_opt){"--out", CTL_OPT_STR, &out};
	r = ctl_parse(argc, argv, opts, nopts, usage, pos, 1, &npos, &help);
	if (r != CLI_OK || help)
		return r;
	if (npos != 1)
		return cli_usage_error(usage, "%s: which node?", argv[0]);
	if (ask_confirm && !yes) {
		char answer[16] = "";

		/* Never wait on a terminal that is not there: scripts say --yes. */
		if (!isatty(STDIN_FILENO))
			return cli_usage_error(usage,
			                       "nodes remove: confirm with --yes (stdin is not "
			                       "a terminal)");
		fprintf(stderr, "Remove node '%s'? Its key stops working; readings stay. [y/N] ",
		        pos[0]);
		if (fgets(answer, sizeof(answer), stdin) == NULL ||
		    (answer[0] != 'y' && answer[0] != 'Y')) {
			fprintf(stderr, "not removed\n");
			return CLI_FAILED;
		}
	}
	ref.node = (char *)pos[0];
	req.body_case = (Tinyfleet__V1__CtlRequest__BodyCase)body;
	if (body == TINYFLEET__V1__CTL_REQUEST__BODY_NODE_REMOVE)
		req.node_remove = &ref;
	else
		req.node_rekey = &ref;
	if ((r = ctl_call(sock2 ? sock2 : socket, &req, &rsp)) != CLI_OK)
		return r;
	if (body == TINYFLEET__V1__CTL_REQUEST__BODY_NODE_REMOVE)
		r = print_done(rsp, json);
	else
		r = print_provision(rsp, out, json, "new key for");
	ctl_response_free(rsp);
	return r;
}

static int
nodes_remove(int argc, char **argv, const char *socket)
{
	return nodes_ref_call(argc, argv, socket, remove_usage,
	                      TINYFLEET__V1__CTL_REQUEST__BODY_NODE_REMOVE, true);
}

static int
nodes_rekey(int argc, char **argv, const char *socket)
{
	return nodes_ref_call(argc, argv, socket, rekey_usage,
	                      TINYFLEET__V1__CTL_REQUEST__BODY_NODE_REKEY, false);
}

#define TAGS_MAX 64

static int
nodes_tag(int argc, char **argv, const char *socket)
{
	Tinyfleet__V1__CtlNodeTagReq t = TINYFLEET__V1__CTL_NODE_TAG_REQ__INIT;
	CtlRequest req = TINYFLEET__V1__CTL_REQUEST__INIT;
	CtlResponse *rsp = NULL;
	const char *pos[1 + TAGS_MAX], *sock2 = NULL;
	char *add[TAGS_MAX], *rm[TAGS_MAX];
	bool json = false, help;
	const struct ctl_opt opts[] = {{"--json", CTL_OPT_FLAG, &json},
	                               {"--socket", CTL_OPT_STR, &sock2}};
	size_t npos;
	int r;

	r = ctl_parse(argc, argv, opts, 2, tag_usage, pos, 1 + TAGS_MAX, &npos, &help);
	if (r != CLI_OK || help)
		return r;
	if (npos < 2)
		return cli_usage_error(tag_usage, "nodes tag: a node and +TAG or -TAG");
	for (size_t i = 1; i < npos; i++) {
		if (pos[i][0] == '+' && pos[i][1] != '\0')
			add[t.n_add++] = (char *)pos[i] + 1;
		else if (pos[i][0] == '-' && pos[i][1] != '\0')
			rm[t.n_remove++] = (char *)pos[i] + 1;
		else
			return cli_usage_error(
			        tag_usage, "'%s': tags start with + (add) or - (remove)", pos[i]);
	}
	t.node = (char *)pos[0];
	t.add = add;
	t.remove = rm;
	req.body_case = TINYFLEET__V1__CTL_REQUEST__BODY_NODE_TAG;
	req.node_tag = &t;
	if ((r = ctl_call(sock2 ? sock2 : socket, &req, &rsp)) != CLI_OK)
		return r;
	if (rsp->body_case == TINYFLEET__V1__CTL_RESPONSE__BODY_DONE && rsp->done != NULL && !json)
		printf("%s: %s\n", pos[0],
		       rsp->done->message[0] ? rsp->done->message : "(no tags)");
	else
		r = print_done(rsp, json);
	ctl_response_free(rsp);
	return r;
}

/* ---- dispatch ---- */

struct nodes_cmd {
	const char *name;
	int (*fn)(int argc, char **argv, const char *socket);
};

static const struct nodes_cmd nodes_cmds[] = {
        {"list", nodes_list},     {"show", nodes_show},     {"add", nodes_add},
        {"import", nodes_import}, {"remove", nodes_remove}, {"tag", nodes_tag},
        {"rekey", nodes_rekey},
};

int
cmd_nodes(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage_error(cmd_nodes_usage, "nodes: subcommand missing");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		printf("usage:\n%s", cmd_nodes_usage);
		return CLI_OK;
	}
	for (size_t i = 0; i < sizeof(nodes_cmds) / sizeof(nodes_cmds[0]); i++)
		if (strcmp(argv[1], nodes_cmds[i].name) == 0)
			return nodes_cmds[i].fn(argc - 1, argv + 1, NULL);
	return cli_usage_error(cmd_nodes_usage, "nodes: unknown subcommand '%s'", argv[1]);
}
