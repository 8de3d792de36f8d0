/*
 * check_transport_serial: the serial transport over a pty. Frames of several
 * nodes arrive COBS-framed on one link, in pieces of any size; frames sent
 * come out COBS-framed; noise costs only the frame it touches; a link that
 * hangs up is reopened with backoff. The same over sockets (unix:PATH,
 * tcp:ADDR:PORT): a listener that goes away and comes back is reconnected.
 */
#define _GNU_SOURCE
#include <check.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <uv.h>

#include "config.h"
#include "transport.h"
#include "wire/cobs.h"
#include "wire/wire.h"

static uv_loop_t loop;
static struct config cfg;
static int master = -1;
static char slave_path[128], link_path[128];
static uint8_t got[16][WIRE_MAX_FRAME];
static size_t got_len[16], n_got;
static struct transport *t;

static void
on_rx(void *arg, uint8_t *frame, size_t len, const struct transport_peer *from)
{
	(void)arg;
	ck_assert_ptr_eq(from->t, t);
	if (n_got < 16) {
		memcpy(got[n_got], frame, len);
		got_len[n_got++] = len;
	}
}

static void
open_pty(void)
{
	int slave;

	ck_assert_int_eq(openpty(&master, &slave, slave_path, NULL, NULL), 0);
	/* Keep our slave fd closed: the transport opens the path itself. */
	close(slave);
	/* The transport opens a stable symlink, as udev makes them. */
	unlink(link_path);
	ck_assert_int_eq(symlink(slave_path, link_path), 0);
}

static void
setup(void)
{
	uv_loop_init(&loop);
	config_defaults(&cfg);
	cfg.serial_reopen_min_ms = 10;
	cfg.serial_reopen_max_ms = 40;
	n_got = 0;
	snprintf(link_path, sizeof(link_path), "/tmp/check_serial_link.%d", (int)getpid());
	open_pty();
	ck_assert_int_eq(transport_serial_ops.open(&loop, link_path, &cfg, on_rx, NULL, &t), 0);
}

static void
teardown(void)
{
	t->ops->close(t);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	if (master >= 0)
		close(master);
	unlink(link_path);
}

/* Runs the loop until n frames arrived or about a second passed. */
static void
pump(size_t n)
{
	for (int i = 0; i < 200 && n_got < n; i++) {
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(5000);
	}
}

static void
put_fd(int fd, const uint8_t *frame, size_t len)
{
	uint8_t enc[WIRE_COBS_MAX_ENCODED(WIRE_MAX_FRAME)];
	int n = wire_cobs_encode(frame, len, enc, sizeof(enc));

	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(write(fd, enc, (size_t)n), n);
}

static void
put(const uint8_t *frame, size_t len)
{
	put_fd(master, frame, len);
}

/* ---- sockets: the test is the listening peer (QEMU's UART, ser2net) ---- */

static char sock_path[108];

static int
listen_unix(void)
{
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	ck_assert_int_ge(fd, 0);
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", sock_path);
	unlink(sock_path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&un, sizeof(un)), 0);
	ck_assert_int_eq(listen(fd, 1), 0);
	return fd;
}

/* Listens on the loopback address of family af; *port gets the port. -1 if af is missing. */
static int
listen_tcp(int af, int *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(af, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	memset(&ss, 0, sizeof(ss));
	if (af == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		len = sizeof(*in6);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		close(fd);
		return -1;
	}
	ck_assert_int_eq(listen(fd, 1), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	*port = ntohs(af == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
	                            : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

/* Runs the loop until the transport connects to lfd and is up; returns the accepted fd. */
static int
accept_link(int lfd)
{
	struct transport_stats ts;
	int c = -1;

	for (int i = 0; i < 400; i++) {
		uv_run(&loop, UV_RUN_NOWAIT);
		if (c < 0)
			c = accept(lfd, NULL, NULL);
		t->ops->stats(t, &ts);
		if (c >= 0 && ts.up)
			return c;
		usleep(5000);
	}
	ck_abort_msg("the transport did not connect");
	return -1;
}

/* Replaces the fixture's pty link by one opened from spec. */
static void
reopen_as(const char *spec)
{
	t->ops->close(t);
	t = NULL;
	uv_run(&loop, UV_RUN_NOWAIT);
	ck_assert_int_eq(transport_serial_ops.open(&loop, spec, &cfg, on_rx, NULL, &t), 0);
}

/* Frames of two nodes in, one frame out, over a connected socket. */
static void
exchange(int c)
{
	struct transport_peer p = {.t = t};
	uint8_t a[40], b[300], buf[512], dec[512];
	ssize_t n = -1;

	memset(a, 0x11, sizeof(a));
	memset(b, 0x00, sizeof(b));
	a[2] = 1;
	b[2] = 2;
	n_got = 0;
	put_fd(c, a, sizeof(a));
	put_fd(c, b, sizeof(b));
	pump(2);
	ck_assert_uint_eq(n_got, 2);
	ck_assert_int_eq(memcmp(got[0], a, sizeof(a)), 0);
	ck_assert_uint_eq(got_len[1], sizeof(b));
	ck_assert_int_eq(memcmp(got[1], b, sizeof(b)), 0);
	ck_assert_int_eq(transport_send(&p, a, sizeof(a)), 0);
	for (int i = 0; i < 100 && n <= 0; i++) {
		n = recv(c, buf, sizeof(buf), MSG_DONTWAIT);
		usleep(2000);
	}
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(buf[n - 1], 0);
	ck_assert_int_eq(wire_cobs_decode(buf, (size_t)n - 1, dec, sizeof(dec)), (int)sizeof(a));
}

START_TEST(test_transport_serial_receives_frames_of_many_nodes)
{
	uint8_t a[40], b[300];

	memset(a, 0x11, sizeof(a));
	memset(b, 0x00, sizeof(b)); /* zeros are what COBS is for */
	a[2] = 1;
	b[2] = 2;
	put(a, sizeof(a));
	put(b, sizeof(b));
	pump(2);
	ck_assert_uint_eq(n_got, 2);
	ck_assert_uint_eq(got_len[0], sizeof(a));
	ck_assert_int_eq(memcmp(got[0], a, sizeof(a)), 0);
	ck_assert_uint_eq(got_len[1], sizeof(b));
	ck_assert_int_eq(memcmp(got[1], b, sizeof(b)), 0);
}
END_TEST

START_TEST(test_transport_serial_sends_cobs_frames)
{
	struct transport_peer p = {.t = t};
	uint8_t f[64], buf[256], dec[256];
	ssize_t n = 0;

	memset(f, 0, sizeof(f));
	f[0] = 1;
	ck_assert_int_eq(transport_send(&p, f, sizeof(f)), 0);
	for (int i = 0; i < 100 && n <= 0; i++) {
		n = read(master, buf, sizeof(buf));
		usleep(2000);
	}
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(buf[n - 1], 0);
	ck_assert_int_eq(wire_cobs_decode(buf, (size_t)n - 1, dec, sizeof(dec)), (int)sizeof(f));
	ck_assert_int_eq(memcmp(dec, f, sizeof(f)), 0);
}
END_TEST

START_TEST(test_transport_serial_frames_split_across_reads)
{
	uint8_t f[100], enc[WIRE_COBS_MAX_ENCODED(100)];
	int n;

	memset(f, 0x5a, sizeof(f));
	n = wire_cobs_encode(f, sizeof(f), enc, sizeof(enc));
	for (int i = 0; i < n; i += 7) {
		ck_assert_int_eq(write(master, enc + i, (size_t)(n - i < 7 ? n - i : 7)),
		                 n - i < 7 ? n - i : 7);
		uv_run(&loop, UV_RUN_NOWAIT);
	}
	pump(1);
	ck_assert_uint_eq(n_got, 1);
	ck_assert_uint_eq(got_len[0], sizeof(f));
}
END_TEST

START_TEST(test_transport_serial_noise_costs_only_one_frame)
{
	uint8_t f[32], noise[] = {0x05, 0x01, 0x00}; /* a block that runs past its frame */
	struct transport_stats ts;

	memset(f, 0x22, sizeof(f));
	ck_assert_int_eq(write(master, noise, sizeof(noise)), (ssize_t)sizeof(noise));
	put(f, sizeof(f));
	pump(1);
	ck_assert_uint_eq(n_got, 1);
	ck_assert_uint_eq(got_len[0], sizeof(f));
	t->ops->stats(t, &ts);
	ck_assert_uint_ge(ts.rx_errors, 1);
}
END_TEST

START_TEST(test_transport_serial_reopens_after_hangup)
{
	struct transport_stats ts;
	uint8_t f[32];

	/* The device goes away: the master closes and the slave side hangs up. */
	close(master);
	master = -1;
	unlink(link_path);
	for (int i = 0; i < 50; i++) {
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(2000);
	}
	t->ops->stats(t, &ts);
	ck_assert_int_eq(ts.up, 0);
	/* It comes back at the same path; the transport finds it on a later retry. */
	open_pty();
	for (int i = 0; i < 200; i++) {
		t->ops->stats(t, &ts);
		if (ts.up)
			break;
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(5000);
	}
	ck_assert_int_eq(ts.up, 1);
	ck_assert_uint_ge(ts.reopens, 1);
	memset(f, 0x33, sizeof(f));
	put(f, sizeof(f));
	pump(1);
	ck_assert_uint_eq(n_got, 1);
}
END_TEST

START_TEST(test_transport_serial_missing_device_is_retried_not_fatal)
{
	struct transport *t2 = NULL;
	struct transport_stats ts;

	ck_assert_int_eq(
	        transport_serial_ops.open(&loop, "/nonexistent/ttyX", &cfg, on_rx, NULL, &t2), 0);
	t2->ops->stats(t2, &ts);
	ck_assert_int_eq(ts.up, 0);
	t2->ops->close(t2);
}
END_TEST

START_TEST(test_transport_serial_rejects_unknown_baud)
{
	struct transport *t2 = NULL;

	cfg.serial_baud = 12345;
	ck_assert_int_lt(transport_serial_ops.open(&loop, link_path, &cfg, on_rx, NULL, &t2), 0);
}
END_TEST

START_TEST(test_transport_serial_unix_socket_carries_frames_and_reconnects)
{
	struct transport_stats ts;
	uint8_t f[32];
	char spec[128];
	int l, c;

	snprintf(sock_path, sizeof(sock_path), "/tmp/check_serial_sock.%d", (int)getpid());
	l = listen_unix();
	snprintf(spec, sizeof(spec), "unix:%s", sock_path);
	reopen_as(spec);
	c = accept_link(l);
	exchange(c);
	/* The peer goes away (QEMU stops): frames it wrote just before are not lost. */
	memset(f, 0x44, sizeof(f));
	n_got = 0;
	put_fd(c, f, sizeof(f));
	close(c);
	close(l);
	unlink(sock_path);
	pump(1);
	ck_assert_uint_eq(n_got, 1);
	for (int i = 0; i < 50; i++) {
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(2000);
	}
	t->ops->stats(t, &ts);
	ck_assert_int_eq(ts.up, 0);
	/* Refused while it is away, found again once it listens at the same path. */
	l = listen_unix();
	c = accept_link(l);
	t->ops->stats(t, &ts);
	ck_assert_uint_ge(ts.reopens, 1);
	exchange(c);
	close(c);
	close(l);
	unlink(sock_path);
}
END_TEST

START_TEST(test_transport_serial_tcp_ipv4_and_ipv6)
{
	char spec[128];
	int l, c, port;

	l = listen_tcp(AF_INET, &port);
	ck_assert_int_ge(l, 0);
	snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%d", port);
	reopen_as(spec);
	c = accept_link(l);
	exchange(c);
	close(c);
	close(l);
	if ((l = listen_tcp(AF_INET6, &port)) < 0)
		return; /* no IPv6 loopback here */
	snprintf(spec, sizeof(spec), "tcp:[::1]:%d", port);
	reopen_as(spec);
	c = accept_link(l);
	exchange(c);
	close(c);
	close(l);
}
END_TEST

static uint8_t peer_frames[64][WIRE_MAX_FRAME];
static size_t peer_len[64], n_peer, n_peer_err;

static void
peer_cobs(void *arg, int err, uint8_t *frame, size_t len)
{
	(void)arg;
	if (err < 0) {
		n_peer_err++;
		return;
	}
	/* Keeps the last 64. */
	memcpy(peer_frames[n_peer % 64], frame, len);
	peer_len[n_peer++ % 64] = len;
}

START_TEST(test_transport_serial_frame_sent_in_part_does_not_swallow_the_next)
{
	static uint8_t dec[WIRE_MAX_FRAME], f[400], last[400];
	struct wire_cobs_stream cs;
	struct transport_peer p;
	uint8_t buf[4096];
	char spec[128];
	int l, c, port, sent = 0, r = 0, rcv = 1, big = 1 << 20;
	ssize_t n;

	/* TCP copies what fits into the send buffer: a full one takes part of a frame. */
	l = listen_tcp(AF_INET, &port);
	ck_assert_int_ge(l, 0);
	snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%d", port);
	reopen_as(spec);
	c = accept_link(l);
	p.t = t;
	ck_assert_int_eq(setsockopt(c, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv)), 0);
	/* The transport's own socket (the one whose peer is c) gets a small send buffer too. */
	for (int fd = 3; fd < 1024; fd++) {
		struct sockaddr_in a, b;
		socklen_t al = sizeof(a), bl = sizeof(b);

		if (fd != c && getpeername(fd, (struct sockaddr *)&a, &al) == 0 &&
		    getsockname(c, (struct sockaddr *)&b, &bl) == 0 && a.sin_family == AF_INET &&
		    a.sin_port == b.sin_port) {
			int sb = 4096;

			ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sb, sizeof(sb)), 0);
		}
	}
	/* The peer does not read: the socket fills, the last frame goes out in part. */
	memset(f, 0x61, sizeof(f));
	for (int i = 0; i < 100000 && (r = transport_send(&p, f, sizeof(f))) == 0; i++)
		sent++;
	ck_assert_int_lt(r, 0);
	ck_assert_int_gt(sent, 0);
	/* The peer reads again, everything (until the line is quiet for 200 ms). */
	ck_assert_int_eq(setsockopt(c, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big)), 0);
	wire_cobs_stream_init(&cs, dec, sizeof(dec), peer_cobs, NULL);
	n_peer = n_peer_err = 0;
	for (int idle = 0; idle < 200;) {
		if ((n = recv(c, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
			wire_cobs_stream_feed(&cs, buf, (size_t)n);
			idle = 0;
		} else {
			usleep(1000);
			idle++;
		}
	}
	ck_assert_uint_eq(n_peer, (size_t)sent);
	/* The next frame arrives whole: not glued to the torn one. */
	memset(last, 0x7e, sizeof(last));
	ck_assert_int_eq(transport_send(&p, last, sizeof(last)), 0);
	for (int i = 0; i < 2000 && n_peer == (size_t)sent; i++) {
		if ((n = recv(c, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			wire_cobs_stream_feed(&cs, buf, (size_t)n);
		else
			usleep(1000);
	}
	ck_assert_uint_gt(n_peer, 0);
	ck_assert_uint_eq(peer_len[(n_peer - 1) % 64], sizeof(last));
	ck_assert_int_eq(memcmp(peer_frames[(n_peer - 1) % 64], last, sizeof(last)), 0);
	/* The torn frame was seen as one bad frame, and only that. */
	ck_assert_uint_eq(n_peer_err, 1);
	ck_assert_uint_eq(n_peer, (size_t)sent + 1);
	close(c);
	close(l);
}
END_TEST

START_TEST(test_transport_serial_socket_absent_at_start_is_retried)
{
	struct transport_stats ts;
	struct transport_peer p;
	uint8_t f[8] = {1};
	char spec[128];
	int l, c;

	snprintf(sock_path, sizeof(sock_path), "/tmp/check_serial_late.%d", (int)getpid());
	unlink(sock_path);
	snprintf(spec, sizeof(spec), "unix:%s", sock_path);
	reopen_as(spec);
	p.t = t;
	t->ops->stats(t, &ts);
	ck_assert_int_eq(ts.up, 0);
	ck_assert_int_eq(transport_send(&p, f, sizeof(f)), -ENOTCONN);
	for (int i = 0; i < 20; i++) {
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(2000);
	}
	l = listen_unix();
	c = accept_link(l);
	exchange(c);
	close(c);
	close(l);
	unlink(sock_path);
}
END_TEST

START_TEST(test_transport_serial_rejects_bad_socket_specs)
{
	static const char *bad[] = {
	        "unix:",          "tcp:127.0.0.1",   "tcp:127.0.0.1:",   "tcp::5000",
	        "tcp:[::1]5000",  "tcp:[::1:5000",   "tcp:1.2.3.4:0",    "tcp:1.2.3.4:70000",
	        "tcp:1.2.3.4:5x", "tcp:gw.local:80", "tcp:1.2.3.4.5:80",
	};
	struct transport *t2 = NULL;
	char longp[200];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(transport_serial_ops.open(&loop, bad[i], &cfg, on_rx, NULL, &t2) < 0,
		              "%s accepted", bad[i]);
	memset(longp, 'a', sizeof(longp));
	memcpy(longp, "unix:/", 6);
	longp[sizeof(longp) - 1] = '\0';
	ck_assert_int_lt(transport_serial_ops.open(&loop, longp, &cfg, on_rx, NULL, &t2), 0);
	/* Line settings do not apply to sockets: an odd baud is no error there. */
	cfg.serial_baud = 12345;
	ck_assert_int_eq(
	        transport_serial_ops.open(&loop, "tcp:127.0.0.1:9", &cfg, on_rx, NULL, &t2), 0);
	t2->ops->close(t2);
}
END_TEST

static Suite *
serial_suite(void)
{
	Suite *s = suite_create("transport_serial");
	TCase *core = tcase_create("core"), *limits = tcase_create("limits"),
	      *errors = tcase_create("errors");

	tcase_add_checked_fixture(core, setup, teardown);
	tcase_add_checked_fixture(limits, setup, teardown);
	tcase_add_checked_fixture(errors, setup, teardown);
	tcase_add_test(core, test_transport_serial_receives_frames_of_many_nodes);
	tcase_add_test(core, test_transport_serial_sends_cobs_frames);
	tcase_add_test(limits, test_transport_serial_frames_split_across_reads);
	tcase_add_test(limits, test_transport_serial_noise_costs_only_one_frame);
	tcase_add_test(errors, test_transport_serial_reopens_after_hangup);
	tcase_add_test(errors, test_transport_serial_missing_device_is_retried_not_fatal);
	tcase_add_test(errors, test_transport_serial_rejects_unknown_baud);
	tcase_add_test(core, test_transport_serial_unix_socket_carries_frames_and_reconnects);
	tcase_add_test(core, test_transport_serial_tcp_ipv4_and_ipv6);
	tcase_add_test(errors, test_transport_serial_socket_absent_at_start_is_retried);
	tcase_add_test(limits, test_transport_serial_frame_sent_in_part_does_not_swallow_the_next);
	tcase_add_test(errors, test_transport_serial_rejects_bad_socket_specs);
	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(serial_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
