/*
 * link.c: the link between the simulated nodes and the gateway, with seeded
 * impairment (loss, duplication, reordering, delay) in both directions.
 *
 * UDP: one socket connected to the gateway carries every node's frames; the
 * gateway answers each node at the address its frames came from, and replies
 * are demultiplexed by the node id in the frame header. Serial: frames are
 * COBS-encoded and 0x00-delimited on one line shared by all nodes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "ports/posix/sim.h"
#include "wire/frame.h"

#define READ_BATCH   64
#define READ_BATCHES 4       /* at most 256 frames per wakeup: others get their turn */
#define DQ_MAX       1000000 /* frames held back at most; beyond: dropped, counted */

double
sim_unit(struct sim *s)
{
	return (double)(sensor_mix(&s->rng) >> 11) / 9007199254740992.0;
}

/* ---- the delay queue (min-heap on due_ms) ---- */

static void
dq_push(struct sim *s, struct pkt *p)
{
	uint32_t i;

	if (s->dq_n == s->dq_cap) {
		uint32_t cap = s->dq_cap ? s->dq_cap * 2 : 1024;
		struct pkt **n = realloc(s->dq, cap * sizeof(*n));
		if (n == NULL) {
			free(p);
			s->link.st.queue_full++;
			return;
		}
		s->dq = n;
		s->dq_cap = cap;
	}
	i = s->dq_n++;
	while (i > 0 && s->dq[(i - 1) / 2]->due_ms > p->due_ms) {
		s->dq[i] = s->dq[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->dq[i] = p;
}

static struct pkt *
dq_pop(struct sim *s)
{
	struct pkt *top = s->dq[0], *last = s->dq[--s->dq_n];
	uint32_t i = 0;

	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = l;
		if (l >= s->dq_n)
			break;
		if (r < s->dq_n && s->dq[r]->due_ms < s->dq[l]->due_ms)
			m = r;
		if (s->dq[m]->due_ms >= last->due_ms)
			break;
		s->dq[i] = s->dq[m];
		i = m;
	}
	if (s->dq_n > 0)
		s->dq[i] = last;
	return top;
}

/* ---- raw output ---- */

static void
udp_flush(struct sim *s)
{
	struct link *l = &s->link;
	struct mmsghdr mm[SEND_BATCH];
	struct iovec iov[SEND_BATCH];
	uint32_t i, done = 0;
	int n;

	for (i = 0; i < l->n_batch; i++) {
		iov[i].iov_base = l->batch[i];
		iov[i].iov_len = l->batch_len[i];
		memset(&mm[i], 0, sizeof(mm[i]));
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	while (done < l->n_batch) {
		n = sendmmsg(l->fd, mm + done, l->n_batch - done, MSG_DONTWAIT);
		if (n <= 0) {
			/* Socket buffer full or no gateway: the rest is lost like radio frames. */
			l->st.send_errors += l->n_batch - done;
			break;
		}
		l->st.sent += (uint64_t)n;
		done += (uint32_t)n;
	}
	l->n_batch = 0;
}

static void
raw_send(struct sim *s, const uint8_t *frame, size_t len)
{
	struct link *l = &s->link;

	if (l->fd < 0) {
		l->st.send_errors++; /* the serial device is away */
		return;
	}
	if (l->serial) {
		size_t need = WIRE_COBS_MAX_ENCODED(len);
		int n;
		if (l->out_len + need > l->out_cap) {
			l->st.send_errors++; /* the line is backed up: the frame is lost */
			return;
		}
		n = wire_cobs_encode(frame, len, l->out + l->out_len, l->out_cap - l->out_len);
		if (n < 0) {
			l->st.send_errors++;
			return;
		}
		l->out_len += (size_t)n;
		l->st.sent++;
		return;
	}
	/* UDP: batched, one sendmmsg() per loop turn or per SEND_BATCH frames. */
	if (l->n_batch == SEND_BATCH)
		udp_flush(s);
	memcpy(l->batch[l->n_batch], frame, len);
	l->batch_len[l->n_batch] = (uint16_t)len;
	l->n_batch++;
}

void
link_flush(struct sim *s)
{
	struct link *l = &s->link;
	ssize_t n;

	if (!l->serial && l->n_batch > 0)
		udp_flush(s);
	while (l->serial && l->fd >= 0 && l->out_len > 0) {
		n = write(l->fd, l->out, l->out_len);
		if (n <= 0)
			break;
		memmove(l->out, l->out + n, l->out_len - (size_t)n);
		l->out_len -= (size_t)n;
	}
}

/* ---- delivery to nodes ---- */

void
sim_deliver(struct sim *s, const uint8_t *frame, size_t len)
{
	struct wire_frame_hdr h;
	struct pnode *pn;
	uint64_t now = sim_now_ms();

	if (wire_frame_parse(frame, len, &h) < 0) {
		s->link.st.bad_frames++;
		return;
	}
	pn = sim_find_node(s, h.node_id);
	if (pn == NULL) {
		s->link.st.unknown_node++;
		return;
	}
	s->frames_delivered++;
	if (!pn->booted)
		return;
	(void)agent_on_frame(&pn->a, frame, len, now);
	if (pn->reset_pending)
		pnode_schedule(s, pn, now);
}

/* ---- impairment ---- */

static void
impair(struct sim *s, int to_node, uint32_t node_idx, const uint8_t *frame, size_t len)
{
	const struct sim_opts *o = &s->o;
	uint64_t now = 0;
	int copies = 1, k;

	if (o->loss > 0 && sim_unit(s) < o->loss) {
		s->link.st.lost++;
		return;
	}
	if (o->dup > 0 && sim_unit(s) < o->dup) {
		copies = 2;
		s->link.st.duplicated++;
	}
	for (k = 0; k < copies; k++) {
		uint64_t delay = o->delay_ms;
		struct pkt *p;
		if (o->reorder > 0 && sim_unit(s) < o->reorder) {
			delay += 1 + (uint64_t)(sim_unit(s) * (2.0 * o->delay_ms + 20.0));
			s->link.st.reordered++;
		}
		if (delay == 0) {
			if (to_node)
				sim_deliver(s, frame, len);
			else
				raw_send(s, frame, len);
			continue;
		}
		if (s->dq_n >= DQ_MAX || (p = malloc(sizeof(*p))) == NULL) {
			s->link.st.queue_full++;
			continue;
		}
		if (now == 0)
			now = sim_now_ms();
		p->due_ms = now + delay;
		p->node_idx = node_idx;
		p->to_node = (uint8_t)to_node;
		p->len = (uint16_t)len;
		memcpy(p->data, frame, len);
		dq_push(s, p);
		s->link.st.delayed++;
	}
}

int
link_send_frame(struct sim *s, struct pnode *pn, const uint8_t *frame, size_t len)
{
	if (len > WIRE_MAX_FRAME)
		return PORT_EINVAL;
	impair(s, 0, pn->idx, frame, len);
	return 0;
}

uint64_t
link_run_queue(struct sim *s, uint64_t now_ms)
{
	uint32_t budget = 4096;

	while (s->dq_n > 0 && s->dq[0]->due_ms <= now_ms && budget-- > 0) {
		struct pkt *p = dq_pop(s);
		if (p->to_node)
			sim_deliver(s, p->data, p->len);
		else
			raw_send(s, p->data, p->len);
		free(p);
	}
	return s->dq_n > 0 ? s->dq[0]->due_ms : UINT64_MAX;
}

/* ---- input ---- */

static void
cobs_frame(void *arg, int err, uint8_t *frame, size_t len)
{
	struct sim *s = arg;

	if (err < 0 || len == 0) {
		if (err < 0)
			s->link.st.bad_frames++;
		return;
	}
	s->link.st.received++;
	impair(s, 1, 0, frame, len);
}

void
link_read(struct sim *s)
{
	struct link *l = &s->link;
	int b;

	if (l->serial) {
		uint8_t buf[16384];
		ssize_t n;
		for (b = 0; b < READ_BATCHES; b++) {
			n = read(l->fd, buf, sizeof(buf));
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
				link_lost(s);
				return;
			}
			if (n < 0)
				break;
			(void)wire_cobs_stream_feed(&l->cobs, buf, (size_t)n);
		}
		return;
	}
	for (b = 0; b < READ_BATCHES; b++) {
		uint8_t bufs[READ_BATCH][WIRE_MAX_FRAME + 1];
		struct mmsghdr mm[READ_BATCH];
		struct iovec iov[READ_BATCH];
		int i, n;

		for (i = 0; i < READ_BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = sizeof(bufs[i]);
			memset(&mm[i], 0, sizeof(mm[i]));
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(l->fd, mm, READ_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		for (i = 0; i < n; i++) {
			if (mm[i].msg_len > WIRE_MAX_FRAME) {
				l->st.bad_frames++;
				continue;
			}
			l->st.received++;
			impair(s, 1, 0, bufs[i], mm[i].msg_len);
		}
		if (n < READ_BATCH)
			break;
	}
}

/* ---- setup ---- */

static int
open_udp(struct sim *s, const char *hostport)
{
	struct addrinfo hints, *res = NULL;
	char host[256];
	const char *colon = strrchr(hostport, ':');
	size_t hl;
	int fd, sz = 4 << 20, r;

	if (colon == NULL || colon == hostport)
		return -EINVAL;
	hl = (size_t)(colon - hostport);
	if (hostport[0] == '[' && hl >= 2 && hostport[hl - 1] == ']') {
		hostport++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, hostport, hl);
	host[hl] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	r = getaddrinfo(host, colon + 1, &hints, &res);
	if (r != 0 || res == NULL)
		return -EHOSTUNREACH;
	fd = socket(res->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		freeaddrinfo(res);
		return r;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
		r = -errno;
		close(fd);
		freeaddrinfo(res);
		return r;
	}
	memcpy(&s->link.gw, res->ai_addr, res->ai_addrlen);
	s->link.gw_len = res->ai_addrlen;
	freeaddrinfo(res);
	s->link.fd = fd;
	return 0;
}

static int
open_serial(struct sim *s, const char *path)
{
	struct termios t;
	int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (isatty(fd) && tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		cfsetispeed(&t, B115200);
		cfsetospeed(&t, B115200);
		(void)tcsetattr(fd, TCSANOW, &t);
	}
	s->link.fd = fd;
	s->link.serial = 1;
	s->link.out_cap = 1 << 20;
	if (s->link.out == NULL)
		s->link.out = malloc(s->link.out_cap);
	if (s->link.out == NULL)
		return -ENOMEM;
	return wire_cobs_stream_init(&s->link.cobs, s->link.cobs_buf, sizeof(s->link.cobs_buf),
	                             cobs_frame, s) < 0
	               ? -EINVAL
	               : 0;
}

int
link_open(struct sim *s)
{
	struct epoll_event ev;
	int r;

	s->link.fd = -1;
	r = s->o.serial ? open_serial(s, s->o.serial) : open_udp(s, s->o.gateway);
	if (r < 0)
		return r;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = 1;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->link.fd, &ev) < 0)
		return -errno;
	return 0;
}

/*
 * The serial device went away (hang-up, read error): close it; the loop calls
 * link_reopen() until it is back. Frames meanwhile are lost like radio frames
 * and the outboxes resend them.
 */
void
link_lost(struct sim *s)
{
	if (s->link.fd < 0)
		return;
	(void)epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->link.fd, NULL);
	close(s->link.fd);
	s->link.fd = -1;
	s->link.out_len = 0;
	wire_cobs_stream_reset(&s->link.cobs);
	s->link.st.reopens++;
	fprintf(stderr, "<4>tinyfleet-node: serial link '%s' lost, reopening\n", s->o.serial);
}

int
link_reopen(struct sim *s)
{
	struct epoll_event ev;

	if (s->link.fd >= 0)
		return 0;
	if (open_serial(s, s->o.serial) < 0) {
		if (s->link.fd >= 0)
			close(s->link.fd);
		s->link.fd = -1;
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = 1;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->link.fd, &ev) < 0) {
		close(s->link.fd);
		s->link.fd = -1;
		return -1;
	}
	fprintf(stderr, "<6>tinyfleet-node: serial link '%s' back\n", s->o.serial);
	return 0;
}

void
link_close(struct sim *s)
{
	while (s->dq_n > 0)
		free(dq_pop(s));
	free(s->dq);
	s->dq = NULL;
	if (s->link.fd >= 0) {
		link_flush(s);
		close(s->link.fd);
	}
	s->link.fd = -1;
	free(s->link.out);
	s->link.out = NULL;
}
