/*
 * ctl_client.c: connecting to tinyfleetd, framing (4-byte big-endian length
 * + protobuf), and the option parser of the daemon commands.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "ctl_client.h"
#include "json.h"

const char *
ctl_socket_path(const char *opt)
{
	const char *env = getenv(CTL_ENV_SOCKET);

	if (opt != NULL && opt[0] != '\0')
		return opt;
	if (env != NULL && env[0] != '\0')
		return env;
	if (access(CTL_SERVICE_SOCKET, F_OK) == 0)
		return CTL_SERVICE_SOCKET;
	return CTL_LOCAL_SOCKET;
}

int
ctl_connect(struct ctl_conn *c, const char *path)
{
	struct sockaddr_un sa;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->next_id = 1;
	snprintf(c->path, sizeof(c->path), "%s", path);
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr,
		        "tinyfleetctl: cannot reach tinyfleetd at '%s': path longer than %zu "
		        "bytes\n",
		        path, sizeof(sa.sun_path) - 1);
		return CLI_UNREACHABLE;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		fprintf(stderr, "tinyfleetctl: cannot reach tinyfleetd at '%s': %s%s\n", path,
		        strerror(e),
		        e == ENOENT || e == ECONNREFUSED
		                ? " (is tinyfleetd running? --socket or $" CTL_ENV_SOCKET
		                  " choose another socket)"
		        : e == EACCES ? " (are you in the daemon's group?)"
		                      : "");
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		return CLI_UNREACHABLE;
	}
	return CLI_OK;
}

void
ctl_close(struct ctl_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->cap = 0;
}

static int
ctl_lost(struct ctl_conn *c, const char *why)
{
	fprintf(stderr, "tinyfleetctl: lost tinyfleetd at '%s': %s\n", c->path, why);
	return CLI_UNREACHABLE;
}

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
read_all(int fd, uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == 0 ? 1 : -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int
ctl_send(struct ctl_conn *c, CtlRequest *req)
{
	size_t n;
	uint8_t *buf;
	int r;

	req->version = 1;
	req->id = c->next_id++;
	n = tinyfleet__v1__ctl_request__get_packed_size(req);
	if ((buf = malloc(n + 4)) == NULL)
		return cli_fail("out of memory");
	buf[0] = (uint8_t)(n >> 24);
	buf[1] = (uint8_t)(n >> 16);
	buf[2] = (uint8_t)(n >> 8);
	buf[3] = (uint8_t)n;
	tinyfleet__v1__ctl_request__pack(req, buf + 4);
	r = write_all(c->fd, buf, n + 4);
	free(buf);
	if (r < 0)
		return ctl_lost(c, strerror(errno));
	return CLI_OK;
}

int
ctl_recv(struct ctl_conn *c, CtlResponse **ret)
{
	uint8_t hdr[4];
	uint32_t n;
	CtlResponse *rsp;
	int r;

	*ret = NULL;
	if ((r = read_all(c->fd, hdr, 4)) != 0)
		return ctl_lost(c, r > 0 ? "connection closed" : strerror(errno));
	n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	if (n > CTL_RESPONSE_MAX)
		return ctl_lost(c, "answer larger than the limit");
	if (n > c->cap) {
		uint8_t *nb = realloc(c->buf, n ? n : 1);

		if (nb == NULL)
			return cli_fail("out of memory");
		c->buf = nb;
		c->cap = n;
	}
	if ((r = read_all(c->fd, c->buf, n)) != 0)
		return ctl_lost(c, r > 0 ? "connection closed mid-answer" : strerror(errno));
	rsp = tinyfleet__v1__ctl_response__unpack(NULL, n, c->buf);
	if (rsp == NULL)
		return ctl_lost(c, "undecodable answer");
	*ret = rsp;
	return CLI_OK;
}

void
ctl_response_free(CtlResponse *rsp)
{
	if (rsp != NULL)
		tinyfleet__v1__ctl_response__free_unpacked(rsp, NULL);
}

int
ctl_print_error(const CtlResponse *rsp)
{
	const char *msg = rsp->error != NULL && rsp->error->message != NULL ? rsp->error->message
	                                                                    : "unknown error";

	return cli_fail("%s", msg);
}

int
ctl_call(const char *socket, CtlRequest *req, CtlResponse **ret)
{
	struct ctl_conn c;
	CtlResponse *rsp = NULL;
	int r;

	*ret = NULL;
	if ((r = ctl_connect(&c, ctl_socket_path(socket))) != CLI_OK)
		return r;
	if ((r = ctl_send(&c, req)) != CLI_OK || (r = ctl_recv(&c, &rsp)) != CLI_OK)
		goto out;
	if (rsp->body_case == TINYFLEET__V1__CTL_RESPONSE__BODY_ERROR) {
		r = ctl_print_error(rsp);
		ctl_response_free(rsp);
		goto out;
	}
	*ret = rsp;
	r = CLI_OK;
out:
	ctl_close(&c);
	return r;
}

/* ---- options ---- */

int
ctl_parse(int argc, char **argv, const struct ctl_opt *opts, size_t n_opts, const char *usage,
          const char **pos, size_t max_pos, size_t *ret_npos, bool *ret_help)
{
	size_t npos = 0;
	bool only_pos = false;

	*ret_help = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct ctl_opt *o = NULL;
		const char *val = NULL;
		size_t nl;

		if (!only_pos && strcmp(a, "--") == 0) {
			only_pos = true;
			continue;
		}
		if (!only_pos && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
			printf("usage:\n%s", usage);
			*ret_help = true;
			return CLI_OK;
		}
		/* "+tag" and "-tag" of `nodes tag` are positional; options start with "--". */
		if (only_pos || strncmp(a, "--", 2) != 0) {
			if (npos == max_pos)
				return cli_usage_error(usage, "unexpected argument '%s'", a);
			pos[npos++] = a;
			continue;
		}
		nl = strcspn(a, "=");
		for (size_t k = 0; k < n_opts; k++)
			if (strlen(opts[k].name) == nl && strncmp(opts[k].name, a, nl) == 0)
				o = &opts[k];
		if (o == NULL)
			return cli_usage_error(usage, "unknown option '%.*s'", (int)nl, a);
		if (o->kind == CTL_OPT_FLAG) {
			if (a[nl] == '=')
				return cli_usage_error(usage, "%s takes no value", o->name);
			*(bool *)o->dst = true;
			continue;
		}
		if (a[nl] == '=')
			val = a + nl + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			return cli_usage_error(usage, "%s needs a value", o->name);
		*(const char **)o->dst = val;
	}
	*ret_npos = npos;
	return CLI_OK;
}

int
ctl_parse_u32(const char *what, const char *s, uint32_t lo, uint32_t hi, const char *usage,
              uint32_t *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < lo || v > hi)
		return cli_usage_error(usage, "%s wants a number from %u to %u, not '%s'", what, lo,
		                       hi, s);
	*ret = (uint32_t)v;
	return CLI_OK;
}

int
ctl_stream(struct ctl_conn *c, int (*page)(void *arg, const CtlResponse *rsp), void *arg,
           uint64_t *ret_rows, bool *ret_truncated)
{
	CtlResponse *rsp = NULL;
	int r;

	for (;;) {
		if ((r = ctl_recv(c, &rsp)) != CLI_OK)
			return r;
		if (rsp->body_case == TINYFLEET__V1__CTL_RESPONSE__BODY_ERROR) {
			r = ctl_print_error(rsp);
			ctl_response_free(rsp);
			return r;
		}
		if (rsp->body_case == TINYFLEET__V1__CTL_RESPONSE__BODY_END) {
			if (ret_rows != NULL)
				*ret_rows = rsp->end ? rsp->end->rows : 0;
			if (ret_truncated != NULL)
				*ret_truncated = rsp->end && rsp->end->truncated;
			ctl_response_free(rsp);
			return CLI_OK;
		}
		r = page(arg, rsp);
		ctl_response_free(rsp);
		if (r != CLI_OK)
			return r;
	}
}

int
ctl_call_stream(const char *socket, CtlRequest *req, int (*page)(void *arg, const CtlResponse *rsp),
                void *arg, uint64_t *ret_rows, bool *ret_truncated)
{
	struct ctl_conn c;
	int r;

	if ((r = ctl_connect(&c, ctl_socket_path(socket))) != CLI_OK)
		return r;
	if ((r = ctl_send(&c, req)) == CLI_OK)
		r = ctl_stream(&c, page, arg, ret_rows, ret_truncated);
	ctl_close(&c);
	return r;
}

void
ctl_json_raw(struct json *j, const char *raw)
{
	if (raw == NULL || raw[0] == '\0') {
		json_null(j);
		return;
	}
	if (j->need_comma[j->depth])
		fputc(',', j->f);
	fputs(raw, j->f);
	j->need_comma[j->depth] = 1;
}
