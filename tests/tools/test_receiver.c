/*
 * test_receiver: a small gateway stand-in built on wire/, for the node tests
 * until (and besides) tinyfleetd.
 *
 * It receives frames on UDP, opens them with each node's key and replay window,
 * decodes the NodeMessage, and "commits" every new (node, seq) by appending a
 * line `node_id seq type` to the record file and flushing it; only after the
 * flush does it ack, cumulatively plus the 64-bit selective bitmap, exactly as
 * the daemon must. The line's fourth field is the Hello's reset reason, the
 * Inference's latency_us or the Health's reboots. A seq seen before is counted as a duplicate, acked again and
 * not recorded, so the record file proves exactly-once delivery. Hello gets a
 * TimeSync back (and a Config when --config is given).
 *
 *   test_receiver --listen PORT --provision FILE --record FILE [--config INF_MS,HEALTH_MS]
 *                 [--stats FILE] [--ready FILE]
 *   test_receiver --enroll-batch N --out FILE --gateway HOST:PORT [--seed N] [--first-id N]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "ports/posix/provision.h"
#include "wire/frame.h"
#include "wire/msg.h"

#define SEEN_WINDOW 1024 /* seqs above cumulative the receiver can hold */
#define BATCH       64

struct rnode {
	struct provision_node p;
	struct wire_replay win;
	uint32_t cum;                    /* every seq <= cum recorded */
	uint64_t seen[SEEN_WINDOW / 64]; /* bit i: seq cum + 1 + i recorded */
	uint64_t gw_counter;             /* our counter towards this node */
	struct sockaddr_storage addr;
	socklen_t addr_len;
	int need_ack, need_sync, need_config;
	int touched; /* already in the batch's touched list */
	uint64_t echo_mono_ms;
};

struct rstats {
	unsigned long long frames, accepted, duplicates, rejected, unknown_node, too_far, acks,
	        hellos, bad_msgs;
};

static volatile sig_atomic_t quit;

static void
on_signal(int sig)
{
	quit = 1;
}

static int
cmp_node(const void *a, const void *b)
{
	const struct rnode *x = a, *y = b;

	return x->p.node_id < y->p.node_id ? -1 : x->p.node_id > y->p.node_id;
}

static struct rnode *
find(struct rnode *nodes, size_t n, uint32_t id)
{
	struct rnode key;

	key.p.node_id = id;
	return bsearch(&key, nodes, n, sizeof(*nodes), cmp_node);
}

static int
bit_get(const struct rnode *r, uint32_t i)
{
	return (int)((r->seen[i / 64] >> (i % 64)) & 1u);
}

/* Shifts the window by one: seq cum + 1 becomes cum. */
static void
shift1(struct rnode *r)
{
	int k;

	for (k = 0; k < SEEN_WINDOW / 64; k++) {
		r->seen[k] >>= 1;
		if (k + 1 < SEEN_WINDOW / 64)
			r->seen[k] |= (r->seen[k + 1] & 1u) << 63;
	}
	r->cum++;
}

/* 1: new (record it), 0: duplicate, -1: too far ahead to hold. */
static int
mark(struct rnode *r, uint32_t seq)
{
	uint32_t d;

	if (seq <= r->cum)
		return 0;
	d = seq - r->cum - 1;
	if (d >= SEEN_WINDOW)
		return -1;
	if (bit_get(r, d))
		return 0;
	r->seen[d / 64] |= 1ull << (d % 64);
	while (bit_get(r, 0))
		shift1(r);
	return 1;
}

static uint64_t
unix_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000u + (uint64_t)tv.tv_usec / 1000u;
}

static void
send_gw(int fd, struct rnode *r, const struct wire_gw_msg *m)
{
	uint8_t pt[WIRE_MSG_MAX], frame[WIRE_MAX_FRAME];
	int n = wire_msg_gw_encode(m, pt, sizeof(pt));

	if (n < 0)
		return;
	n = wire_frame_seal(r->p.key, WIRE_DIR_G2N, r->p.node_id, ++r->gw_counter, pt, (size_t)n,
	                    frame, sizeof(frame));
	if (n < 0)
		return;
	(void)sendto(fd, frame, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&r->addr, r->addr_len);
}

static uint32_t cfg_infer_ms, cfg_health_ms;

/* Nodes that got frames in this batch, so acks cost O(batch), not O(nodes). */
static struct rnode *touched[BATCH];
static int n_touched;

static void
handle(int fd, struct rnode *nodes, size_t nn, struct rstats *st, FILE *rec, const uint8_t *buf,
       size_t len, const struct sockaddr_storage *from, socklen_t from_len)
{
	struct wire_frame_hdr h;
	struct wire_node_msg m;
	uint8_t pt[WIRE_MAX_FRAME];
	struct rnode *r;
	uint32_t seq, extra = 0;
	int n, k;

	st->frames++;
	if (wire_frame_parse(buf, len, &h) < 0) {
		st->rejected++;
		return;
	}
	r = find(nodes, nn, h.node_id);
	if (r == NULL) {
		st->unknown_node++;
		return;
	}
	n = wire_frame_receive(r->p.key, WIRE_DIR_N2G, &r->win, buf, len, &h, pt, sizeof(pt));
	if (n < 0) {
		st->rejected++;
		return;
	}
	memcpy(&r->addr, from, from_len);
	r->addr_len = from_len;
	if (!r->touched && n_touched < BATCH) {
		r->touched = 1;
		touched[n_touched++] = r;
	}
	if (wire_msg_node_decode(pt, (size_t)n, &m) < 0) {
		st->bad_msgs++;
		return;
	}
	switch (m.type) {
	case WIRE_NODE_HELLO:
		seq = m.u.hello.seq;
		r->need_sync = 1;
		r->need_config = cfg_infer_ms || cfg_health_ms;
		r->echo_mono_ms = m.u.hello.mono_ms;
		extra = (uint32_t)m.u.hello.reset_reason;
		st->hellos++;
		break;
	case WIRE_NODE_INFERENCE:
		seq = m.u.inference.seq;
		extra = m.u.inference.latency_us;
		break;
	case WIRE_NODE_HEALTH:
		seq = m.u.health.seq;
		extra = m.u.health.reboots;
		break;
	case WIRE_NODE_MODEL_STATUS:
		seq = m.u.model_status.seq;
		break;
	default:
		return; /* ChunkRequest: not sequenced */
	}
	if (seq == 0) {
		st->bad_msgs++;
		return;
	}
	k = mark(r, seq);
	if (k < 0) {
		st->too_far++; /* not recorded, not acked: the node sends it again */
		return;
	}
	if (k == 0)
		st->duplicates++;
	else {
		st->accepted++;
		fprintf(rec, "%u %u %s %u\n", r->p.node_id, seq, wire_msg_node_type_name(m.type),
		        extra);
	}
	r->need_ack = 1;
}

static int
enroll(const char *out, const char *gateway, unsigned n, unsigned long long seed, unsigned first)
{
	FILE *fp = fopen(out, "we");
	uint64_t s = seed ? seed : (uint64_t)time(NULL) ^ (uint64_t)getpid();
	unsigned i, k;

	if (fp == NULL) {
		perror(out);
		return 1;
	}
	fprintf(fp, "# node_id,key_hex64,gateway_host:port,name (test_receiver --enroll-batch)\n");
	for (i = 0; i < n; i++) {
		fprintf(fp, "%u,", first + i);
		for (k = 0; k < 32; k++) {
			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			fprintf(fp, "%02x", (unsigned)(s >> 24) & 0xff);
		}
		fprintf(fp, ",%s,node-%u\n", gateway, first + i);
	}
	return fclose(fp) == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
	        {"listen", 1, 0, 'l'},   {"provision", 1, 0, 'p'}, {"record", 1, 0, 'r'},
	        {"stats", 1, 0, 's'},    {"ready", 1, 0, 'R'},     {"enroll-batch", 1, 0, 'e'},
	        {"out", 1, 0, 'o'},      {"gateway", 1, 0, 'g'},   {"seed", 1, 0, 'S'},
	        {"first-id", 1, 0, 'f'}, {"config", 1, 0, 'c'},    {0, 0, 0, 0}};
	const char *provision = NULL, *record = NULL, *stats = NULL, *ready = NULL, *out = NULL,
	           *gateway = "127.0.0.1:5684";
	unsigned port = 0, enroll_n = 0, first = 1;
	unsigned long long seed = 0;
	struct provision_node *pv = NULL;
	struct rnode *nodes;
	struct rstats st;
	struct sockaddr_in sa;
	struct sigaction sig;
	FILE *rec;
	size_t i;
	int c, fd, n, line, sz = 4 << 20;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'l':
			port = (unsigned)atoi(optarg);
			break;
		case 'p':
			provision = optarg;
			break;
		case 'r':
			record = optarg;
			break;
		case 's':
			stats = optarg;
			break;
		case 'R':
			ready = optarg;
			break;
		case 'e':
			enroll_n = (unsigned)atoi(optarg);
			break;
		case 'o':
			out = optarg;
			break;
		case 'g':
			gateway = optarg;
			break;
		case 'S':
			seed = strtoull(optarg, NULL, 10);
			break;
		case 'f':
			first = (unsigned)atoi(optarg);
			break;
		case 'c':
			if (sscanf(optarg, "%u,%u", &cfg_infer_ms, &cfg_health_ms) < 1)
				return 2;
			break;
		default:
			fprintf(stderr, "usage: see the comment at the top of test_receiver.c\n");
			return 2;
		}
	}
	if (enroll_n > 0) {
		if (out == NULL || first == 0)
			return 2;
		return enroll(out, gateway, enroll_n, seed, first);
	}
	if (port == 0 || provision == NULL || record == NULL) {
		fprintf(stderr, "test_receiver: --listen, --provision and --record are required\n");
		return 2;
	}
	n = provision_load(provision, 10000000, &pv, &line);
	if (n <= 0) {
		fprintf(stderr, "test_receiver: '%s' unusable (line %d)\n", provision, line);
		return 1;
	}
	nodes = calloc((size_t)n, sizeof(*nodes));
	if (nodes == NULL)
		return 1;
	for (i = 0; i < (size_t)n; i++) {
		nodes[i].p = pv[i];
		/* Counters above anything an earlier run used: time based. */
		nodes[i].gw_counter = unix_ms() * 1000u;
	}
	free(pv);
	qsort(nodes, (size_t)n, sizeof(*nodes), cmp_node);
	rec = fopen(record, "ae");
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (rec == NULL || fd < 0)
		return 1;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("test_receiver: bind");
		return 1;
	}
	memset(&sig, 0, sizeof(sig));
	sig.sa_handler = on_signal;
	sigaction(SIGINT, &sig, NULL);
	sigaction(SIGTERM, &sig, NULL);
	if (ready != NULL) {
		FILE *fp = fopen(ready, "we");
		if (fp != NULL)
			fclose(fp);
	}
	memset(&st, 0, sizeof(st));
	while (!quit) {
		uint8_t bufs[BATCH][WIRE_MAX_FRAME + 1];
		struct sockaddr_storage from[BATCH];
		struct mmsghdr mm[BATCH];
		struct iovec iov[BATCH];
		struct pollfd pfd = {fd, POLLIN, 0};
		int k, got;

		if (poll(&pfd, 1, 200) <= 0)
			continue;
		for (k = 0; k < BATCH; k++) {
			iov[k].iov_base = bufs[k];
			iov[k].iov_len = sizeof(bufs[k]);
			memset(&mm[k], 0, sizeof(mm[k]));
			mm[k].msg_hdr.msg_iov = &iov[k];
			mm[k].msg_hdr.msg_iovlen = 1;
			mm[k].msg_hdr.msg_name = &from[k];
			mm[k].msg_hdr.msg_namelen = sizeof(from[k]);
		}
		got = recvmmsg(fd, mm, BATCH, MSG_DONTWAIT, NULL);
		if (got <= 0)
			continue;
		for (k = 0; k < got; k++)
			if (mm[k].msg_len <= WIRE_MAX_FRAME)
				handle(fd, nodes, (size_t)n, &st, rec, bufs[k], mm[k].msg_len,
				       &from[k], mm[k].msg_hdr.msg_namelen);
		/* Commit first, ack after: an ack promises the record is stored. */
		fflush(rec);
		for (k = 0; k < n_touched; k++) {
			struct rnode *r = touched[k];
			struct wire_gw_msg m;
			int b;
			r->touched = 0;
			if (r->need_ack) {
				memset(&m, 0, sizeof(m));
				m.type = WIRE_GW_ACK;
				m.u.ack.cumulative = r->cum;
				for (b = 0; b < 64; b++)
					if (bit_get(r, (uint32_t)b))
						m.u.ack.sack_bitmap |= 1ull << b;
				send_gw(fd, r, &m);
				st.acks++;
				r->need_ack = 0;
			}
			if (r->need_sync) {
				memset(&m, 0, sizeof(m));
				m.type = WIRE_GW_TIME_SYNC;
				m.u.time_sync.unix_ms = unix_ms();
				m.u.time_sync.echo_mono_ms = r->echo_mono_ms;
				send_gw(fd, r, &m);
				r->need_sync = 0;
			}
			if (r->need_config) {
				memset(&m, 0, sizeof(m));
				m.type = WIRE_GW_CONFIG;
				m.u.config.inference_period_ms = cfg_infer_ms;
				m.u.config.health_period_ms = cfg_health_ms;
				m.u.config.config_version = 1;
				send_gw(fd, r, &m);
				r->need_config = 0;
			}
		}
		n_touched = 0;
	}
	fflush(rec);
	fclose(rec);
	if (stats != NULL) {
		FILE *fp = fopen(stats, "we");
		if (fp != NULL) {
			fprintf(fp,
			        "{\"frames\": %llu, \"accepted\": %llu, \"duplicates\": %llu, "
			        "\"rejected\": %llu, \"unknown_node\": %llu, \"too_far\": %llu, "
			        "\"acks\": %llu, \"hellos\": %llu, \"bad_msgs\": %llu}\n",
			        st.frames, st.accepted, st.duplicates, st.rejected, st.unknown_node,
			        st.too_far, st.acks, st.hellos, st.bad_msgs);
			fclose(fp);
		}
	}
	close(fd);
	free(nodes);
	return 0;
}
