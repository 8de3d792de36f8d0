/*
 * tf-sender: a small, deterministic node simulator for the daemon's tests and
 * the ingest benchmark. It speaks real frames through node-firmware/wire
 * (wire_frame_seal/open, wire_msg codec, COBS), so every test also checks the
 * daemon's libsodium side against wire/'s own AEAD.
 *
 *   tf-sender -p PROVISION [-g HOST:PORT | -s PTY] [-n NODES] [-c COUNT] [-r RATE]
 *             [-f FIRST_SEQ] [-t TIMEOUT_S] [-H] [-a forged|replay|unknown]
 *
 * Sends COUNT Inference messages per node (seqs FIRST_SEQ..), at most 64
 * unacked per node (the gateway's ack window), retransmitting every 200 ms
 * until each is acked or TIMEOUT_S passes. -H sends a Hello first. -r limits
 * the total rate (messages/s; 0 = as fast as the windows allow). Each
 * Inference carries unix_ms = send time, for latency measurement.
 * Frame counters start at the current time in microseconds, so runs
 * one after the other never reuse one (the daemon keeps replay windows).
 * -a sends 10 bad frames of one kind (forged tag, replayed counter, unknown
 * node) after a good one and exits.
 *
 * Prints "sent N acked N retransmits N time_syncs N" and exits 0 when every
 * message was acked, 1 otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "wire/cobs.h"
#include "wire/frame.h"
#include "wire/msg.h"

#define MAX_NODES 20000
#define WINDOW    64

struct node {
	uint32_t id;
	uint8_t key[32];
	uint64_t counter;
	struct wire_replay rx;
	uint32_t next_seq;  /* next new seq to send */
	uint32_t last_seq;  /* last seq to send */
	uint32_t acked_cum; /* every seq <= this is acked */
	uint64_t acked_sack;
	int64_t sent_at[WINDOW]; /* send time of seq acked_cum + 1 + i, 0 = not sent */
	int hello_due;
};

static struct node *nodes;
static size_t n_nodes;
static int fd = -1, serial;
static struct sockaddr_storage gw_addr;
static socklen_t gw_len;
static uint64_t st_sent, st_acked, st_retx, st_ts;
static struct wire_cobs_stream cobs;
static uint8_t cobs_buf[WIRE_MAX_FRAME];

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void
send_raw(const uint8_t *frame, size_t len)
{
	if (serial) {
		uint8_t out[WIRE_COBS_MAX_ENCODED(WIRE_MAX_FRAME)];
		int n = wire_cobs_encode(frame, len, out, sizeof(out));

		if (n > 0 && write(fd, out, (size_t)n) != n)
			perror("write");
	} else {
		(void)sendto(fd, frame, len, 0, (struct sockaddr *)&gw_addr, gw_len);
	}
}

static void
send_msg(struct node *n, const struct wire_node_msg *m)
{
	uint8_t buf[WIRE_MSG_MAX], frame[WIRE_MAX_FRAME];
	int len = wire_msg_node_encode(m, buf, sizeof(buf));

	if (len < 0) {
		fprintf(stderr, "encode: %s\n", wire_strerror(len));
		exit(2);
	}
	len = wire_frame_seal(n->key, WIRE_DIR_N2G, n->id, ++n->counter, buf, (size_t)len, frame,
	                      sizeof(frame));
	if (len < 0) {
		fprintf(stderr, "seal: %s\n", wire_strerror(len));
		exit(2);
	}
	send_raw(frame, (size_t)len);
}

static void
send_inference(struct node *n, uint32_t seq)
{
	struct wire_node_msg m;

	memset(&m, 0, sizeof(m));
	m.type = WIRE_NODE_INFERENCE;
	m.u.inference.seq = seq;
	m.u.inference.mono_ms = (uint64_t)now_ms();
	m.u.inference.unix_ms = (uint64_t)now_ms();
	m.u.inference.model_id = 1;
	m.u.inference.model_version = 1;
	m.u.inference.label = seq % 3;
	snprintf(m.u.inference.top_label, sizeof(m.u.inference.top_label), "class%u", seq % 3);
	m.u.inference.n_scores = 3;
	for (int i = 0; i < 3; i++)
		m.u.inference.scores[i] = i == (int)(seq % 3) ? 0.9f : 0.05f;
	m.u.inference.latency_us = 1200;
	send_msg(n, &m);
}

static void
send_hello(struct node *n)
{
	struct wire_node_msg m;

	memset(&m, 0, sizeof(m));
	m.type = WIRE_NODE_HELLO;
	m.u.hello.seq = n->next_seq;
	snprintf(m.u.hello.firmware, sizeof(m.u.hello.firmware), "tf-sender");
	m.u.hello.core_version = 0x000100;
	m.u.hello.arena_bytes = 65536;
	m.u.hello.slot_size = 262144;
	m.u.hello.slots = 2;
	m.u.hello.mono_ms = 1;
	snprintf(m.u.hello.board, sizeof(m.u.hello.board), "posix");
	send_msg(n, &m);
}

static struct node *
find_node(uint32_t id)
{
	size_t lo = 0, hi = n_nodes;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (nodes[mid].id == id)
			return &nodes[mid];
		if (nodes[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int
is_acked(const struct node *n, uint32_t seq)
{
	if (seq <= n->acked_cum)
		return 1;
	if (seq - n->acked_cum - 1 >= 64)
		return 0;
	return (n->acked_sack >> (seq - n->acked_cum - 1)) & 1;
}

static void
handle_frame(uint8_t *frame, size_t len)
{
	struct wire_frame_hdr hdr;
	struct wire_gw_msg g;
	uint8_t pt[WIRE_MAX_FRAME];
	struct node *n;
	int r;

	if (wire_frame_parse(frame, len, &hdr) < 0 || (n = find_node(hdr.node_id)) == NULL)
		return;
	r = wire_frame_receive(n->key, WIRE_DIR_G2N, &n->rx, frame, len, &hdr, pt, sizeof(pt));
	if (r < 0) {
		fprintf(stderr, "node %u: bad gateway frame: %s\n", n->id, wire_strerror(r));
		return;
	}
	if (wire_msg_gw_decode(pt, (size_t)r, &g) < 0)
		return;
	if (g.type == WIRE_GW_TIME_SYNC) {
		st_ts++;
		return;
	}
	if (g.type != WIRE_GW_ACK)
		return;
	/* Count newly acked seqs in our range, then move our window. */
	for (uint32_t s = n->acked_cum + 1; s < n->next_seq; s++) {
		int was = is_acked(n, s);
		int now = s <= g.u.ack.cumulative ||
		          (s - g.u.ack.cumulative - 1 < 64 &&
		           ((g.u.ack.sack_bitmap >> (s - g.u.ack.cumulative - 1)) & 1));

		if (!was && now)
			st_acked++;
	}
	if (g.u.ack.cumulative >= n->acked_cum) {
		uint32_t shift = g.u.ack.cumulative - n->acked_cum;

		for (int i = 0; i < WINDOW; i++)
			n->sent_at[i] = (uint32_t)i + shift < WINDOW ? n->sent_at[i + shift] : 0;
		n->acked_cum = g.u.ack.cumulative;
		n->acked_sack = g.u.ack.sack_bitmap;
	}
}

static void
cobs_cb(void *arg, int err, uint8_t *frame, size_t len)
{
	(void)arg;
	if (err == 0 && len > 0)
		handle_frame(frame, len);
}

static void
receive(int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	uint8_t buf[4096];

	if (poll(&p, 1, timeout_ms) <= 0)
		return;
	for (int i = 0; i < 256; i++) {
		ssize_t r = serial ? read(fd, buf, sizeof(buf)) : recv(fd, buf, sizeof(buf), 0);

		if (r <= 0)
			return;
		if (serial)
			wire_cobs_stream_feed(&cobs, buf, (size_t)r);
		else
			handle_frame(buf, (size_t)r);
	}
}

static int
load_provision(const char *path, size_t max)
{
	char line[512];
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		perror(path);
		return -1;
	}
	nodes = calloc(max, sizeof(*nodes));
	while (n_nodes < max && fgets(line, sizeof(line), f) != NULL) {
		char *id = strtok(line, ","), *key = strtok(NULL, ",");

		if (line[0] == '#' || id == NULL || key == NULL || strlen(key) != 64)
			continue;
		nodes[n_nodes].id = (uint32_t)strtoul(id, NULL, 10);
		for (int i = 0; i < 32; i++)
			sscanf(key + 2 * i, "%2hhx", &nodes[n_nodes].key[i]);
		n_nodes++;
	}
	fclose(f);
	return 0;
}

static int
cmp_node(const void *a, const void *b)
{
	const struct node *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void
attack(const char *kind)
{
	struct node *n = &nodes[0];
	struct wire_node_msg m;
	uint8_t buf[WIRE_MSG_MAX], frame[WIRE_MAX_FRAME];
	int len;

	memset(&m, 0, sizeof(m));
	m.type = WIRE_NODE_HEALTH;
	m.u.health.seq = n->next_seq;
	len = wire_msg_node_encode(&m, buf, sizeof(buf));
	len = wire_frame_seal(n->key, WIRE_DIR_N2G, n->id, ++n->counter, buf, (size_t)len, frame,
	                      sizeof(frame));
	send_raw(frame, (size_t)len); /* one good frame, accepted */
	for (int i = 0; i < 10; i++) {
		uint8_t bad[WIRE_MAX_FRAME];

		memcpy(bad, frame, (size_t)len);
		if (strcmp(kind, "forged") == 0) {
			/* Fresh counter, flipped ciphertext bit: the tag fails. */
			uint64_t c = ++n->counter;

			for (int b = 0; b < 8; b++)
				bad[6 + b] = (uint8_t)(c >> (8 * b));
			bad[len - 17] ^= 0x01;
		} else if (strcmp(kind, "unknown") == 0) {
			bad[2] = 0xfe;
			bad[3] = 0xca;
			bad[4] = 0xfe;
			bad[5] = 0x7f;
		} /* replay: the same bytes again */
		send_raw(bad, (size_t)len);
	}
	receive(300);
}

int
main(int argc, char **argv)
{
	const char *prov = NULL, *gw = "127.0.0.1:5684", *tty = NULL, *atk = NULL;
	unsigned count = 10, want_nodes = 1, first = 1, timeout_s = 30, hello = 0;
	double rate = 0;
	int ch;

	while ((ch = getopt(argc, argv, "p:g:s:n:c:r:f:t:Ha:")) != -1) {
		switch (ch) {
		case 'p':
			prov = optarg;
			break;
		case 'g':
			gw = optarg;
			break;
		case 's':
			tty = optarg;
			break;
		case 'n':
			want_nodes = (unsigned)atoi(optarg);
			break;
		case 'c':
			count = (unsigned)atoi(optarg);
			break;
		case 'r':
			rate = atof(optarg);
			break;
		case 'f':
			first = (unsigned)atoi(optarg);
			break;
		case 't':
			timeout_s = (unsigned)atoi(optarg);
			break;
		case 'H':
			hello = 1;
			break;
		case 'a':
			atk = optarg;
			break;
		default:
			fprintf(stderr,
			        "usage: see the comment at the top of tests/tools/tf-sender.c\n");
			return 2;
		}
	}
	if (prov == NULL || load_provision(prov, want_nodes > MAX_NODES ? MAX_NODES : want_nodes))
		return 2;
	if (n_nodes == 0) {
		fprintf(stderr, "no nodes in %s\n", prov);
		return 2;
	}
	qsort(nodes, n_nodes, sizeof(*nodes), cmp_node);
	if (tty != NULL) {
		struct termios tio;

		serial = 1;
		if ((fd = open(tty, O_RDWR | O_NOCTTY | O_NONBLOCK)) < 0) {
			perror(tty);
			return 2;
		}
		if (tcgetattr(fd, &tio) == 0) {
			cfmakeraw(&tio);
			tcsetattr(fd, TCSANOW, &tio);
		}
		wire_cobs_stream_init(&cobs, cobs_buf, sizeof(cobs_buf), cobs_cb, NULL);
	} else {
		struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *ai;
		char host[256];
		const char *colon = strrchr(gw, ':');
		int rcv = 4 << 20;

		snprintf(host, sizeof(host), "%.*s", (int)(colon - gw), gw);
		if (host[0] == '[') {
			memmove(host, host + 1, strlen(host));
			host[strlen(host) - 1] = '\0';
		}
		if (getaddrinfo(host, colon + 1, &hints, &ai) != 0) {
			fprintf(stderr, "bad gateway %s\n", gw);
			return 2;
		}
		memcpy(&gw_addr, ai->ai_addr, ai->ai_addrlen);
		gw_len = ai->ai_addrlen;
		fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
		freeaddrinfo(ai);
	}
	uint64_t base = now_us();
	for (size_t i = 0; i < n_nodes; i++) {
		nodes[i].counter = base;
		nodes[i].next_seq = first;
		nodes[i].last_seq = first + count - 1;
		nodes[i].acked_cum = first - 1;
		nodes[i].hello_due = hello;
	}
	if (atk != NULL) {
		attack(atk);
		printf("attack %s sent\n", atk);
		return 0;
	}
	int64_t start = now_ms(), deadline = start + (int64_t)timeout_s * 1000;
	uint64_t total = (uint64_t)count * n_nodes;
	int64_t last_scan = 0;
	while (st_acked < total && now_ms() < deadline) {
		int64_t t = now_ms();
		int scan = t - last_scan >= 50;

		if (scan)
			last_scan = t;

		for (size_t i = 0; i < n_nodes; i++) {
			struct node *n = &nodes[i];

			if (n->hello_due) {
				/* The Hello takes the first seq; readings follow it. */
				send_hello(n);
				n->hello_due = 0;
				n->next_seq++;
				n->last_seq++;
				total++;
			}
			/*
			 * Retransmit what is overdue, oldest first. Scanned every 50 ms
			 * only: the sender shares the machine with what it measures.
			 */
			for (uint32_t s = n->acked_cum + 1; scan && s < n->next_seq; s++) {
				int64_t *at = &n->sent_at[s - n->acked_cum - 1];

				if (!is_acked(n, s) && *at && t - *at >= 200) {
					send_inference(n, s);
					*at = t;
					st_retx++;
				}
			}
			/* New ones, within the window and the rate. */
			while (n->next_seq <= n->last_seq && n->next_seq - n->acked_cum <= WINDOW) {
				if (rate > 0 &&
				    (double)st_sent >= rate * (double)(t - start) / 1000.0)
					break;
				send_inference(n, n->next_seq);
				n->sent_at[n->next_seq - n->acked_cum - 1] = t;
				n->next_seq++;
				st_sent++;
			}
		}
		receive(rate > 0 ? 1 : 5);
	}
	printf("sent %llu acked %llu retransmits %llu time_syncs %llu elapsed_ms %lld\n",
	       (unsigned long long)st_sent, (unsigned long long)st_acked,
	       (unsigned long long)st_retx, (unsigned long long)st_ts,
	       (long long)(now_ms() - start));
	return st_acked >= total ? 0 : 1;
}
