/*
 * provision.c: the provisioning file reader (see provision.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ports/posix/provision.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Copies the field [s, e) trimmed of blanks into dst[cap]; -EINVAL when too long. */
static int
field(const char *s, const char *e, char *dst, size_t cap)
{
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	if ((size_t)(e - s) >= cap)
		return -EINVAL;
	memcpy(dst, s, (size_t)(e - s));
	dst[e - s] = '\0';
	return 0;
}

int
provision_parse_line(const char *line, struct provision_node *ret)
{
	struct provision_node n;
	char id[16], key[80];
	const char *f[5];
	const char *p = line, *end;
	unsigned long v;
	char *ep;
	int k = 0, i;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0' || *p == '#')
		return 0;
	end = p + strcspn(p, "\r\n");
	memset(&n, 0, sizeof(n));
	f[k++] = p;
	for (; p < end && k < 5; p++)
		if (*p == ',')
			f[k++] = p + 1;
	if (k != 4)
		return -EINVAL;
	if (field(f[0], f[1] - 1, id, sizeof(id)) < 0 ||
	    field(f[1], f[2] - 1, key, sizeof(key)) < 0 ||
	    field(f[2], f[3] - 1, n.gateway, sizeof(n.gateway)) < 0 ||
	    field(f[3], end, n.name, sizeof(n.name)) < 0)
		return -EINVAL;
	errno = 0;
	v = strtoul(id, &ep, 10);
	if (errno || *ep != '\0' || id[0] == '\0' || id[0] == '-' || v == 0 || v > 0xfffffffful)
		return -EINVAL;
	n.node_id = (uint32_t)v;
	if (strlen(key) != 64)
		return -EINVAL;
	for (i = 0; i < 32; i++) {
		int hi = hexval(key[2 * i]), lo = hexval(key[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		n.key[i] = (uint8_t)(hi << 4 | lo);
	}
	*ret = n;
	return 1;
}

int
provision_load(const char *path, size_t max, struct provision_node **ret, int *ret_line)
{
	struct provision_node *nodes = NULL, *tmp;
	size_t n = 0, cap = 0;
	char line[1024];
	int lineno = 0, r;
	FILE *fp;

	*ret_line = 0;
	fp = fopen(path, "re");
	if (fp == NULL)
		return -errno;
	while (n < max && fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			tmp = realloc(nodes, cap * sizeof(*nodes));
			if (tmp == NULL) {
				r = -ENOMEM;
				goto fail;
			}
			nodes = tmp;
		}
		r = provision_parse_line(line, &nodes[n]);
		if (r < 0) {
			*ret_line = lineno;
			goto fail;
		}
		n += (size_t)r;
	}
	fclose(fp);
	*ret = nodes;
	return (int)n;
fail:
	fclose(fp);
	free(nodes);
	return r;
}
