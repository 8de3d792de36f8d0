/*
 * enroll: keys, provisioning records and CSV import. See enroll.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "enroll.h"

static void
enroll_hex(const uint8_t key[STORE_KEY_BYTES], char hex[2 * STORE_KEY_BYTES + 1])
{
	sodium_bin2hex(hex, 2 * STORE_KEY_BYTES + 1, key, STORE_KEY_BYTES);
}

static int
enroll_write(FILE *out, uint32_t id, const uint8_t key[STORE_KEY_BYTES], const char *gateway,
             const char *name)
{
	char hex[2 * STORE_KEY_BYTES + 1];
	int r;

	enroll_hex(key, hex);
	r = fprintf(out, "%u,%s,%s,%s\n", id, hex, gateway, name);
	sodium_memzero(hex, sizeof(hex));
	return r < 0 ? -EIO : 0;
}

static int
enroll_add(struct store *st, const char *name, const char *tags, const char *gateway, FILE *out)
{
	uint8_t key[STORE_KEY_BYTES];
	uint32_t id;
	int r;

	randombytes_buf(key, sizeof(key));
	if ((r = store_node_add(st, 0, name, tags, key, &id)) == 0)
		r = enroll_write(out, id, key, gateway, name);
	sodium_memzero(key, sizeof(key));
	return r;
}

int
enroll_one(struct store *st, const char *name, const char *tags, const char *gateway, FILE *out)
{
	int r;

	if (sodium_init() < 0)
		return -EIO;
	if ((r = enroll_add(st, name, tags, gateway, out)) < 0)
		return r;
	return fflush(out) == 0 ? 0 : -EIO;
}

int
enroll_batch(struct store *st, unsigned n, const char *prefix, const char *tags,
             const char *gateway, FILE *out)
{
	char name[STORE_NAME_MAX];
	int64_t base;
	int r;

	if (sodium_init() < 0)
		return -EIO;
	if ((r = store_node_count(st, &base)) < 0 || (r = store_tx_begin(st)) < 0)
		return r;
	fprintf(out, "# node_id,key_hex64,gateway,name (tinyfleetd --enroll-batch)\n");
	for (unsigned i = 0; i < n; i++) {
		/* Names need not match ids: pick the first free one. */
		for (int64_t k = base + i + 1;; k++) {
			snprintf(name, sizeof(name), "%s%lld", prefix, (long long)k);
			r = enroll_add(st, name, tags, gateway, out);
			if (r != -EEXIST)
				break;
		}
		if (r < 0) {
			store_tx_rollback(st);
			return r;
		}
	}
	if (fflush(out) != 0) {
		store_tx_rollback(st);
		return -EIO;
	}
	return store_tx_commit(st);
}

/* Splits line at commas in place; returns the field count (at most max). */
static int
enroll_fields(char *line, char **f, int max)
{
	int n = 0;
	char *p = line;

	while (n < max) {
		f[n++] = p;
		if ((p = strchr(p, ',')) == NULL)
			break;
		*p++ = '\0';
	}
	return p == NULL ? n : -1;
}

int
enroll_import(struct store *st, const char *path, unsigned *ret_n, char *err, size_t errlen)
{
	char line[1024], tags[STORE_TAGS_MAX];
	uint8_t key[STORE_KEY_BYTES];
	unsigned lineno = 0, count = 0;
	FILE *f;
	int r = 0;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if ((r = store_tx_begin(st)) < 0)
		goto out;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *fl[4], *end;
		size_t len = strlen(line), bin_len = 0;
		unsigned long id;
		int nf;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0 || line[0] == '#' || (lineno == 1 && !strncmp(line, "node_id", 7)))
			continue;
		nf = enroll_fields(line, fl, 4);
		if (nf < 3) {
			snprintf(err, errlen, "%s:%u: want node_id,key_hex64,name[,tags]", path,
			         lineno);
			r = -EINVAL;
			goto fail;
		}
		errno = 0;
		id = fl[0][0] ? strtoul(fl[0], &end, 10) : 0;
		if (errno != 0 || (fl[0][0] && *end != '\0') || id > UINT32_MAX) {
			snprintf(err, errlen, "%s:%u: bad node_id '%s'", path, lineno, fl[0]);
			r = -EINVAL;
			goto fail;
		}
		if (strlen(fl[1]) != 2 * STORE_KEY_BYTES ||
		    sodium_hex2bin(key, sizeof(key), fl[1], strlen(fl[1]), NULL, &bin_len, NULL) !=
		            0 ||
		    bin_len != STORE_KEY_BYTES) {
			/* The key itself is never echoed. */
			snprintf(err, errlen, "%s:%u: key is not 64 hex digits", path, lineno);
			r = -EINVAL;
			goto fail;
		}
		snprintf(tags, sizeof(tags), "%s", nf == 4 ? fl[3] : "");
		for (char *p = tags; *p; p++)
			if (*p == ';')
				*p = ',';
		r = store_node_add(st, (uint32_t)id, fl[2], tags, key, NULL);
		sodium_memzero(key, sizeof(key));
		if (r < 0) {
			snprintf(err, errlen, "%s:%u: node '%s': %s", path, lineno, fl[2],
			         r == -EEXIST   ? "id or name already enrolled"
			         : r == -EINVAL ? "bad name (1..63 of A-Z a-z 0-9 . _ -) or tags"
			                        : store_strerror(r));
			goto fail;
		}
		count++;
	}
	sodium_memzero(line, sizeof(line));
	if ((r = store_tx_commit(st)) < 0)
		goto out;
	*ret_n = count;
	goto out;
fail:
	sodium_memzero(line, sizeof(line));
	store_tx_rollback(st);
out:
	fclose(f);
	return r;
}

FILE *
enroll_open_secret(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *f;

	if (fd < 0)
		return NULL;
	(void)fchmod(fd, 0600); /* an existing file keeps its mode otherwise */
	if ((f = fdopen(fd, "w")) == NULL)
		close(fd);
	return f;
}
