/*
 * transport_udp: frames over UDP, IPv4 or IPv6, one socket per listen address.
 *
 * libuv reads with recvmmsg (UV_UDP_RECVMMSG) when the kernel has it: the
 * receive buffer handed to libuv is a multiple of 64 KiB and libuv slices it
 * into one datagram per 64 KiB chunk. libuv itself bounds the work per wakeup
 * (32 reads), so a flood cannot starve the loop's timers (group commit, MQTT).
 * SO_RCVBUF is raised (udp.rcvbuf) so bursts that arrive while a commit runs
 * wait in the kernel instead of being dropped.
 */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "transport.h"
#include "wire/wire.h"

#define UDP_CHUNK  (64 * 1024) /* libuv's per-datagram slice with recvmmsg */
#define UDP_CHUNKS 16          /* datagrams per recvmmsg call */

struct udp_transport {
	struct transport base; /* always the first member */
	uv_udp_t handle;
	transport_rx_cb rx;
	void *arg;
	int busy; /* the buffer is lent to libuv */
	struct transport_stats stats;
	char buf[UDP_CHUNK * UDP_CHUNKS];
};

static void
udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct udp_transport *u = h->data;

	(void)suggested;
	/* One static buffer: libuv never has two reads outstanding on a handle. */
	buf->base = u->buf;
	buf->len = sizeof(u->buf);
}

static void
udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr,
         unsigned flags)
{
	struct udp_transport *u = h->data;
	struct transport_peer peer;

	(void)buf;
	if (nread < 0) {
		u->stats.rx_errors++;
		return;
	}
	if (addr == NULL || nread == 0)
		return; /* nothing more to read, or the UV_UDP_MMSG_FREE call */
	if ((flags & UV_UDP_PARTIAL) || nread > WIRE_MAX_FRAME) {
		u->stats.rx_errors++;
		return;
	}
	memset(&peer, 0, sizeof(peer));
	peer.t = &u->base;
	peer.addr_len = addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
	                                            : sizeof(struct sockaddr_in);
	memcpy(&peer.addr, addr, peer.addr_len);
	u->stats.rx_frames++;
	u->stats.rx_bytes += (uint64_t)nread;
	u->rx(u->arg, (uint8_t *)buf->base, (size_t)nread, &peer);
}

static int
udp_parse_addr(const char *spec, struct sockaddr_storage *ss)
{
	char host[CONFIG_STR];
	int port, r;

	if ((r = config_split_hostport(spec, 5684, host, sizeof(host), &port)) < 0)
		return r;
	if (strchr(host, ':') != NULL)
		r = uv_ip6_addr(host, port, (struct sockaddr_in6 *)ss);
	else
		r = uv_ip4_addr(host, port, (struct sockaddr_in *)ss);
	return r;
}

static void
udp_closed(uv_handle_t *h)
{
	free(h->data);
}

static int
udp_open(uv_loop_t *loop, const char *spec, const void *opts, transport_rx_cb rx, void *arg,
         struct transport **ret)
{
	const struct config *cfg = opts;
	struct sockaddr_storage ss;
	struct udp_transport *u;
	int r, size;

	memset(&ss, 0, sizeof(ss));
	if ((r = udp_parse_addr(spec, &ss)) < 0)
		return r;
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return -ENOMEM;
	u->base.ops = &transport_udp_ops;
	snprintf(u->base.spec, sizeof(u->base.spec), "udp %s", spec);
	u->rx = rx;
	u->arg = arg;
	r = uv_udp_init_ex(loop, &u->handle, ss.ss_family | UV_UDP_RECVMMSG);
	if (r < 0) {
		free(u);
		return r;
	}
	u->handle.data = u;
	/* An IPv6 wildcard must not also claim the IPv4 port the v4 listener binds. */
	r = uv_udp_bind(&u->handle, (const struct sockaddr *)&ss,
	                ss.ss_family == AF_INET6 ? UV_UDP_IPV6ONLY : 0);
	if (r < 0)
		goto fail;
	if (cfg != NULL && cfg->udp_rcvbuf > 0) {
		size = (int)cfg->udp_rcvbuf;
		(void)uv_recv_buffer_size((uv_handle_t *)&u->handle, &size);
	}
	if ((r = uv_udp_recv_start(&u->handle, udp_alloc, udp_recv)) < 0)
		goto fail;
	u->stats.up = 1;
	*ret = &u->base;
	return 0;
fail:
	uv_close((uv_handle_t *)&u->handle, udp_closed);
	return r;
}

static int
udp_send(struct transport *t, const struct transport_peer *to, const uint8_t *frame, size_t len)
{
	struct udp_transport *u = (struct udp_transport *)t;
	uv_buf_t b = uv_buf_init((char *)frame, (unsigned)len);
	int r;

	/* A closing handle has no socket: libuv would bind a new one behind our back. */
	if (!u->stats.up) {
		u->stats.tx_errors++;
		return -ENOTCONN;
	}

	/*
	 * uv_udp_try_send never queues: a frame the kernel cannot take now is
	 * dropped like any lost datagram, and the node retransmits.
	 */
	r = uv_udp_try_send(&u->handle, &b, 1, (const struct sockaddr *)&to->addr);
	if (r < 0) {
		u->stats.tx_errors++;
		return r;
	}
	u->stats.tx_frames++;
	return 0;
}

static void
udp_close(struct transport *t)
{
	struct udp_transport *u = (struct udp_transport *)t;

	if (t == NULL)
		return;
	u->stats.up = 0;
	uv_close((uv_handle_t *)&u->handle, udp_closed);
}

static void
udp_stats(const struct transport *t, struct transport_stats *ret)
{
	*ret = ((const struct udp_transport *)t)->stats;
}

const struct transport_ops transport_udp_ops = {
        .name = "udp",
        .open = udp_open,
        .send = udp_send,
        .close = udp_close,
        .stats = udp_stats,
};
