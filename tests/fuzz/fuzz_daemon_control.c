/*
 * fuzz_daemon_control: the control socket's request handling on hostile
 * bytes. Every input is one connection: the first byte picks the peer (an
 * administrator or a read-only member of the socket's group), the rest is
 * fed as the byte stream the client sends, in chunks whose sizes come from
 * the input too; then every pending page is produced. The server runs on a
 * scratch database with enrolled nodes, readings and an alert, through a
 * detached client (no socket, no loop), so the decoder, the framing, the
 * dispatch table and every handler see the garbage; changes are rolled back
 * after each input. Answers must be
 * well-formed frames that decode as CtlResponse.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../daemon/config.h"
#include "../../daemon/control.h"
#include "../../daemon/log.h"
#include "../../daemon/store.h"
#include "tinyfleet/v1/control.pb-c.h"

static struct store *st;
static struct control *ctl;
static struct config cfg;

static void
sink(void *arg, const uint8_t *frame, size_t len)
{
	Tinyfleet__V1__CtlResponse *r;
	size_t blen = 0;

	(void)arg;
	if (control_frame_parse(frame, len, CONTROL_QUEUE_MAX, &blen) != 1 || blen + 4 != len)
		abort();
	r = tinyfleet__v1__ctl_response__unpack(NULL, blen, frame + 4);
	if (r == NULL || r->version != CONTROL_PROTOCOL)
		abort();
	tinyfleet__v1__ctl_response__free_unpacked(r, NULL);
}

static void
init_once(void)
{
	static char dir[] = "/tmp/fuzz_control.XXXXXX";
	char path[64];
	struct store_opts so = {.path = path};
	struct control_deps deps = {0};
	uint8_t key[STORE_KEY_BYTES] = {7};
	struct store_rec recs[3];
	char name[32];

	log_set_level(LOG_LEVEL_ERR); /* refusals and drops are expected here */
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/tf.db", dir);
	if (store_open(&so, &st) < 0)
		abort();
	for (int i = 1; i <= 20; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		if (store_node_add(st, 0, name, i % 3 ? "a" : "a,b", key, NULL) < 0)
			abort();
	}
	memset(recs, 0, sizeof(recs));
	recs[0].kind = STORE_KIND_INFERENCE;
	recs[0].node_id = 1;
	recs[0].seq = 1;
	recs[0].t_ms = recs[0].rx_ms = 1000;
	recs[0].data = "{\"top_label\":\"cat\"}";
	recs[1].kind = STORE_KIND_HEALTH;
	recs[1].node_id = 2;
	recs[1].seq = 1;
	recs[1].t_ms = recs[1].rx_ms = 2000;
	recs[2].kind = STORE_KIND_ALERT;
	recs[2].node_id = 3;
	recs[2].t_ms = 3000;
	recs[2].u.alert.kind = "battery_low";
	recs[2].u.alert.rule = "";
	recs[2].u.alert.raised = 1;
	if (store_commit(st, recs, 3, NULL, 0) < 0)
		abort();
	config_defaults(&cfg);
	snprintf(cfg.db_path, sizeof(cfg.db_path), "%s", path);
	deps.store = st;
	if (control_new_unbound(&deps, &cfg, &ctl) < 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct control_peer peer = {.pid = 1};
	struct control_client *cl = NULL;
	size_t off = 1;

	if (ctl == NULL)
		init_once();
	if (size < 1)
		return 0;
	/* An administrator (uid 0) or a reader in the socket's group. */
	peer.uid = data[0] & 1 ? 0 : 65534;
	peer.gid = data[0] & 1 ? 0 : getegid();
	if (control_client_new_detached(ctl, &peer, sink, NULL, &cl) < 0)
		abort();
	/*
	 * Changes happen in a transaction rolled back afterwards: the database
	 * stays the same for every input, so runs stay fast and reproducible.
	 * (Requests that open their own transaction get a store error answer.)
	 */
	if (store_tx_begin(st) < 0)
		abort();
	while (off < size) {
		size_t chunk = (size_t)(data[0] >> 1) + 1;

		if (chunk > size - off)
			chunk = size - off;
		if (control_client_feed(cl, data + off, chunk) < 0)
			break;
		off += chunk;
	}
	/* Requests queued behind a streamed answer run as each stream ends. */
	(void)control_client_pump(cl);
	control_client_free_detached(cl);
	store_tx_rollback(st);
	return 0;
}
