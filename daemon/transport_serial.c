/*
 * transport_serial: frames over a serial line (a UART, a USB serial adapter,
 * a radio concentrator, or a pty in tests). Frames are COBS-encoded and
 * delimited by 0x00 (docs/PROTOCOL.md); one link carries the frames of any
 * number of nodes, told apart by the node id in each frame header.
 *
 * The device is opened non-blocking and configured raw from [serial]
 * (baud, data bits, parity, stop bits, RTS/CTS). A uv_poll tells us when it is
 * readable; each wakeup reads at most SERIAL_READS_PER_WAKEUP chunks so a
 * fast link cannot starve the loop. When the device goes away (read error,
 * hang-up, EOF) it is closed and reopened from a timer with a doubling delay
 * between reopen_min_ms and reopen_max_ms; the COBS decoder is reset so a
 * frame torn by the outage is dropped, never glued to the next one.
 *
 * The same byte stream can also come from a socket instead of a tty:
 *   unix:/path/to/sock      a Unix stream socket (QEMU's -serial unix:...,server)
 *   tcp:HOST:PORT           serial-over-TCP (ser2net, a QEMU tcp: UART);
 *   tcp:[V6ADDR]:PORT       HOST is a numeric IPv4 or IPv6 address (no DNS
 *                           lookups on the loop)
 * The daemon is the connecting side. The connect is non-blocking: the poll
 * handle waits for the socket to become writable, then reads as for a tty.
 * A peer that closes or refuses is retried with the same reopen backoff, and
 * line settings ([serial] baud ...) do not apply.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "config.h"
#include "transport.h"
#include "wire/cobs.h"
#include "wire/wire.h"

#define SERIAL_READ_CHUNK       4096
#define SERIAL_READS_PER_WAKEUP 16

enum serial_kind {
	SERIAL_TTY,  /* a device path, configured raw */
	SERIAL_UNIX, /* unix:PATH */
	SERIAL_TCP,  /* tcp:ADDR:PORT */
};

struct serial_transport {
	struct transport base; /* always the first member */
	uv_loop_t *loop;
	uv_poll_t poll;
	uv_timer_t reopen;
	enum serial_kind kind;
	struct sockaddr_storage addr; /* sockets: the peer */
	socklen_t addr_len;
	int connecting;   /* sockets: connect() in progress, waiting for writable */
	int tried;        /* the first open attempt is behind us (later ones are reopens) */
	int torn;         /* the last frame was written in part: start the next with 0x00 */
	int fd;           /* -1 while closed */
	int poll_active;  /* poll handle initialised for fd (and not yet closed) */
	int poll_closing; /* uv_close() called on it, close callback pending */
	int closing;
	int pending_close; /* handles still to close before free */
	int delay_ms;      /* next reopen delay */
	int min_ms, max_ms;
	int baud, data_bits, stop_bits, rtscts;
	char parity;
	transport_rx_cb rx;
	void *arg;
	struct wire_cobs_stream cobs;
	struct transport_stats stats;
	uint8_t frame[WIRE_MAX_FRAME];
};

static speed_t
serial_speed(int baud)
{
	static const struct {
		int baud;
		speed_t speed;
	} map[] = {
	        {1200, B1200},       {2400, B2400},       {4800, B4800},       {9600, B9600},
	        {19200, B19200},     {38400, B38400},     {57600, B57600},     {115200, B115200},
	        {230400, B230400},   {460800, B460800},   {500000, B500000},   {921600, B921600},
	        {1000000, B1000000}, {2000000, B2000000}, {3000000, B3000000},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].baud == baud)
			return map[i].speed;
	return B0;
}

static int
serial_configure(struct serial_transport *s, int fd)
{
	struct termios tio;
	speed_t sp = serial_speed(s->baud);

	if (sp == B0)
		return -EINVAL;
	if (tcgetattr(fd, &tio) < 0)
		return -errno;
	cfmakeraw(&tio);
	cfsetispeed(&tio, sp);
	cfsetospeed(&tio, sp);
	tio.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
	tio.c_cflag |= CLOCAL | CREAD;
	switch (s->data_bits) {
	case 5:
		tio.c_cflag |= CS5;
		break;
	case 6:
		tio.c_cflag |= CS6;
		break;
	case 7:
		tio.c_cflag |= CS7;
		break;
	default:
		tio.c_cflag |= CS8;
		break;
	}
	if (s->parity == 'e')
		tio.c_cflag |= PARENB;
	else if (s->parity == 'o')
		tio.c_cflag |= PARENB | PARODD;
	if (s->stop_bits == 2)
		tio.c_cflag |= CSTOPB;
	if (s->rtscts)
		tio.c_cflag |= CRTSCTS;
	/*
	 * VMIN 1 with O_NONBLOCK: an empty line reads as EAGAIN, and a read
	 * of 0 really means end of file (hang-up). With VMIN 0 Linux returns 0
	 * for "no data" too, and a lost device would look like an idle one.
	 */
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &tio) < 0)
		return -errno;
	return 0;
}

static void
serial_cobs_cb(void *arg, int err, uint8_t *frame, size_t len)
{
	struct serial_transport *s = arg;
	struct transport_peer peer;

	if (err < 0) {
		s->stats.rx_errors++;
		return;
	}
	if (len == 0)
		return;
	memset(&peer, 0, sizeof(peer));
	peer.t = &s->base;
	s->stats.rx_frames++;
	s->stats.rx_bytes += len;
	s->rx(s->arg, frame, len, &peer);
}

static void
serial_poll_closed(uv_handle_t *h)
{
	struct serial_transport *s = h->data;

	s->poll_active = 0;
	s->poll_closing = 0;
	if (s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
	}
	if (s->closing && --s->pending_close == 0)
		free(s);
}

static void
serial_timer_closed(uv_handle_t *h)
{
	struct serial_transport *s = h->data;

	if (--s->pending_close == 0)
		free(s);
}

/* The device went away: close it and try again later. */
static void
serial_lost(struct serial_transport *s)
{
	s->stats.up = 0;
	s->connecting = 0;
	if (s->poll_active && !s->poll_closing) {
		uv_poll_stop(&s->poll);
		s->poll_closing = 1;
		uv_close((uv_handle_t *)&s->poll, serial_poll_closed);
	} else if (!s->poll_active && s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
	}
	wire_cobs_stream_reset(&s->cobs);
}

static void serial_reopen_cb(uv_timer_t *t);

static void
serial_schedule_reopen(struct serial_transport *s)
{
	uv_timer_start(&s->reopen, serial_reopen_cb, (uint64_t)s->delay_ms, 0);
	s->delay_ms = s->delay_ms * 2 > s->max_ms ? s->max_ms : s->delay_ms * 2;
}

/* The link is open and receiving (a tty opened, a socket connected). */
static void
serial_up(struct serial_transport *s)
{
	s->stats.up = 1;
	s->torn = 0; /* a new connection (or device) starts clean */
	s->delay_ms = s->min_ms;
	if (s->tried)
		s->stats.reopens++;
}

static void serial_readable(uv_poll_t *p, int status, int events);

/* A non-blocking connect finished (writable): connected, or refused/unreachable. */
static void
serial_connected(struct serial_transport *s, int status)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (status < 0 || getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
		serial_lost(s);
		serial_schedule_reopen(s);
		return;
	}
	s->connecting = 0;
	uv_poll_start(&s->poll, UV_READABLE | UV_DISCONNECT, serial_readable);
	serial_up(s);
}

static void
serial_readable(uv_poll_t *p, int status, int events)
{
	struct serial_transport *s = p->data;
	uint8_t buf[SERIAL_READ_CHUNK];
	int i;

	if (s->connecting) {
		serial_connected(s, status);
		return;
	}
	if (status < 0) {
		serial_lost(s);
		serial_schedule_reopen(s);
		return;
	}
	/* On a hang-up, first take what the peer wrote before it left. */
	for (i = 0; i < SERIAL_READS_PER_WAKEUP; i++) {
		ssize_t n = read(s->fd, buf, sizeof(buf));

		if (n > 0) {
			wire_cobs_stream_feed(&s->cobs, buf, (size_t)n);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (events & UV_DISCONNECT)
				break;
			return;
		}
		/* EOF or EIO: the device (or the pty's or socket's other side) is gone. */
		break;
	}
	if (i == SERIAL_READS_PER_WAKEUP)
		return; /* more to read: the next wakeup goes on (and sees the hang-up again) */
	serial_lost(s);
	serial_schedule_reopen(s);
}

/*
 * Parses "unix:PATH" and "tcp:ADDR:PORT" / "tcp:[V6]:PORT" into s->addr;
 * anything else is a tty path. Returns 0 or -EINVAL.
 */
static int
serial_parse_spec(struct serial_transport *s, const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0) {
		struct sockaddr_un *un = (struct sockaddr_un *)&s->addr;
		const char *path = spec + 5;

		if (path[0] == '\0' || strlen(path) >= sizeof(un->sun_path))
			return -EINVAL;
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, path, strlen(path) + 1);
		s->addr_len = (socklen_t)sizeof(*un);
		s->kind = SERIAL_UNIX;
		return 0;
	}
	if (strncmp(spec, "tcp:", 4) == 0) {
		struct addrinfo hints, *ai = NULL;
		char host[INET6_ADDRSTRLEN + 1];
		const char *h = spec + 4, *port, *end;
		size_t hl;

		if (h[0] == '[') {
			if ((end = strchr(h, ']')) == NULL || end[1] != ':')
				return -EINVAL;
			h++;
			port = end + 2;
		} else {
			if ((end = strrchr(h, ':')) == NULL)
				return -EINVAL;
			port = end + 1;
		}
		hl = (size_t)(end - h);
		if (hl == 0 || hl >= sizeof(host) || port[0] == '\0' ||
		    strspn(port, "0123456789") != strlen(port) || atoi(port) < 1 ||
		    atoi(port) > 65535)
			return -EINVAL;
		memcpy(host, h, hl);
		host[hl] = '\0';
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
		if (getaddrinfo(host, port, &hints, &ai) != 0 || ai == NULL)
			return -EINVAL;
		if (ai->ai_addrlen > sizeof(s->addr)) {
			freeaddrinfo(ai);
			return -EINVAL;
		}
		memcpy(&s->addr, ai->ai_addr, ai->ai_addrlen);
		s->addr_len = ai->ai_addrlen;
		freeaddrinfo(ai);
		s->kind = SERIAL_TCP;
		return 0;
	}
	s->kind = SERIAL_TTY;
	return 0;
}

/* Starts a non-blocking connect; *ret_fd and *ret_connecting on success. */
static int
serial_socket_open(struct serial_transport *s, int *ret_fd, int *ret_connecting)
{
	int fd, one = 1, r;

	fd = socket(s->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (s->kind == SERIAL_TCP)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&s->addr, s->addr_len) == 0) {
		*ret_connecting = 0;
	} else if (errno == EINPROGRESS) {
		*ret_connecting = 1;
	} else {
		/* Refused, no such socket, a full backlog (EAGAIN): retried with backoff. */
		r = -errno;
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

/*
 * Opens the tty, or starts connecting the socket. Returns 0 when the poll
 * handle is set up (a socket may still be connecting: up comes later), or a
 * negative errno with nothing left open.
 */
static int
serial_try_open(struct serial_transport *s)
{
	const char *path = s->base.spec + strlen("serial ");
	int fd = -1, r, connecting = 0;

	if (s->kind != SERIAL_TTY) {
		if ((r = serial_socket_open(s, &fd, &connecting)) < 0)
			return r;
	} else {
		fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		if ((r = serial_configure(s, fd)) < 0) {
			close(fd);
			return r;
		}
	}
	if ((r = uv_poll_init(s->loop, &s->poll, fd)) < 0) {
		close(fd);
		return r;
	}
	s->poll.data = s;
	s->fd = fd;
	s->poll_active = 1;
	s->connecting = connecting;
	if (connecting) {
		uv_poll_start(&s->poll, UV_WRITABLE | UV_DISCONNECT, serial_readable);
		return 0;
	}
	uv_poll_start(&s->poll, UV_READABLE | UV_DISCONNECT, serial_readable);
	serial_up(s);
	return 0;
}

static void
serial_reopen_cb(uv_timer_t *t)
{
	struct serial_transport *s = t->data;

	if (s->closing)
		return;
	if (s->poll_active) { /* the old handle is still closing */
		serial_schedule_reopen(s);
		return;
	}
	if (serial_try_open(s) == 0)
		return;
	serial_schedule_reopen(s);
}

static int
serial_open(uv_loop_t *loop, const char *spec, const void *opts, transport_rx_cb rx, void *arg,
            struct transport **ret)
{
	const struct config *cfg = opts;
	struct serial_transport *s;
	int r;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -ENOMEM;
	s->base.ops = &transport_serial_ops;
	if ((size_t)snprintf(s->base.spec, sizeof(s->base.spec), "serial %s", spec) >=
	    sizeof(s->base.spec)) {
		free(s);
		return -ENAMETOOLONG;
	}
	s->loop = loop;
	s->fd = -1;
	s->rx = rx;
	s->arg = arg;
	s->baud = cfg ? cfg->serial_baud : 115200;
	s->data_bits = cfg ? cfg->serial_data_bits : 8;
	s->parity = cfg ? cfg->serial_parity : 'n';
	s->stop_bits = cfg ? cfg->serial_stop_bits : 1;
	s->rtscts = cfg ? cfg->serial_rtscts : 0;
	s->min_ms = cfg ? cfg->serial_reopen_min_ms : 100;
	s->max_ms = cfg ? cfg->serial_reopen_max_ms : 10000;
	s->delay_ms = s->min_ms;
	if ((r = serial_parse_spec(s, spec)) < 0) {
		free(s);
		return r;
	}
	if (s->kind == SERIAL_TTY && serial_speed(s->baud) == B0) {
		free(s);
		return -EINVAL;
	}
	wire_cobs_stream_init(&s->cobs, s->frame, sizeof(s->frame), serial_cobs_cb, s);
	uv_timer_init(loop, &s->reopen);
	s->reopen.data = s;
	/*
	 * A device that is not there yet is not an error: a USB adapter may be
	 * plugged in later. Keep trying in the background.
	 */
	r = serial_try_open(s);
	s->tried = 1;
	if (r < 0)
		serial_schedule_reopen(s);
	*ret = &s->base;
	return 0;
}

static int
serial_send(struct transport *t, const struct transport_peer *to, const uint8_t *frame, size_t len)
{
	struct serial_transport *s = (struct serial_transport *)t;
	uint8_t out[1 + WIRE_COBS_MAX_ENCODED(WIRE_MAX_FRAME)];
	size_t off = s->torn ? 1 : 0;
	ssize_t w;
	int n;

	(void)to;
	if (s->fd < 0 || !s->stats.up) {
		s->stats.tx_errors++;
		return -ENOTCONN;
	}
	/*
	 * After a frame went out only in part, a leading delimiter ends it at
	 * the receiver (an empty frame is ignored), so it cannot swallow this one.
	 */
	out[0] = 0x00;
	if ((n = wire_cobs_encode(frame, len, out + off, sizeof(out) - off)) < 0) {
		s->stats.tx_errors++;
		return -EINVAL;
	}
	n += (int)off;
	/* Non-blocking: a full UART or socket buffer drops the frame; the node retransmits. */
	if (s->kind == SERIAL_TTY)
		w = write(s->fd, out, (size_t)n);
	else /* a gone peer is EPIPE, not a signal */
		w = send(s->fd, out, (size_t)n, MSG_NOSIGNAL);
	if (w != n) {
		s->stats.tx_errors++;
		if (w > 0)
			s->torn = 1;
		return w < 0 ? -errno : -EAGAIN;
	}
	s->torn = 0;
	s->stats.tx_frames++;
	return 0;
}

static void
serial_close(struct transport *t)
{
	struct serial_transport *s = (struct serial_transport *)t;

	if (t == NULL)
		return;
	s->closing = 1;
	s->stats.up = 0;
	s->pending_close = 1 + s->poll_active;
	uv_timer_stop(&s->reopen);
	uv_close((uv_handle_t *)&s->reopen, serial_timer_closed);
	/* A poll handle that is already closing (link lost) only has its callback to come. */
	if (s->poll_active && !s->poll_closing) {
		uv_poll_stop(&s->poll);
		s->poll_closing = 1;
		uv_close((uv_handle_t *)&s->poll, serial_poll_closed);
	}
}

static void
serial_stats(const struct transport *t, struct transport_stats *ret)
{
	*ret = ((const struct serial_transport *)t)->stats;
}

const struct transport_ops transport_serial_ops = {
        .name = "serial",
        .open = serial_open,
        .send = serial_send,
        .close = serial_close,
        .stats = serial_stats,
};
