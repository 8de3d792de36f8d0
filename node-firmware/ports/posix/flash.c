/*
 * flash.c: file-backed NOR flash with a shared descriptor budget (see flash.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ports/port.h"
#include "ports/posix/flash.h"

int
pflash_pool_init(struct pflash_pool *pool, const char *dir, int budget)
{
	memset(pool, 0, sizeof(*pool));
	if (budget < 1)
		budget = 1;
	if (snprintf(pool->dir, sizeof(pool->dir), "%s", dir) >= (int)sizeof(pool->dir))
		return -ENAMETOOLONG;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	pool->ring = calloc((size_t)budget, sizeof(*pool->ring));
	if (pool->ring == NULL)
		return -ENOMEM;
	pool->budget = budget;
	return 0;
}

void
pflash_pool_done(struct pflash_pool *pool)
{
	int i;

	if (pool->ring == NULL)
		return;
	for (i = 0; i < pool->budget; i++)
		if (pool->ring[i] != NULL) {
			(void)close(pool->ring[i]->fd);
			pool->ring[i]->fd = -1;
		}
	free(pool->ring);
	pool->ring = NULL;
}

int
pflash_path(const struct pflash_pool *pool, uint32_t id, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%s/node-%u.flash", pool->dir, id);

	return (n < 0 || (size_t)n >= cap) ? -ENAMETOOLONG : 0;
}

/* Opens f's file, evicting the pool's oldest descriptor when at budget. */
static int
ensure_open(struct pflash *f)
{
	struct pflash_pool *p = f->pool;
	char path[600];
	struct stat st;
	int fd;

	if (f->fd >= 0)
		return 0;
	if (p->ring[p->head] != NULL) {
		(void)close(p->ring[p->head]->fd);
		p->ring[p->head]->fd = -1;
		p->ring[p->head] = NULL;
	}
	if (pflash_path(p, f->id, path, sizeof(path)) < 0)
		return PORT_EINVAL;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return PORT_EIO;
	if (fstat(fd, &st) < 0 || (st.st_size != (off_t)f->size && ftruncate(fd, f->size) < 0)) {
		(void)close(fd);
		return PORT_EIO;
	}
	f->fd = fd;
	p->ring[p->head] = f;
	p->head = (p->head + 1) % p->budget;
	return 0;
}

int
pflash_open(struct pflash *f, struct pflash_pool *pool, uint32_t id, uint32_t size, uint32_t sector)
{
	memset(f, 0, sizeof(*f));
	f->pool = pool;
	f->id = id;
	f->size = size;
	f->sector = sector;
	f->fd = -1;
	return ensure_open(f) < 0 ? -EIO : 0;
}

void
pflash_close(struct pflash *f)
{
	int i;

	if (f->fd < 0)
		return;
	for (i = 0; i < f->pool->budget; i++)
		if (f->pool->ring[i] == f)
			f->pool->ring[i] = NULL;
	(void)close(f->fd);
	f->fd = -1;
}

static int
range_ok(const struct pflash *f, uint32_t off, size_t len)
{
	return off <= f->size && len <= (size_t)(f->size - off);
}

int
pflash_read(struct pflash *f, uint32_t off, void *buf, size_t len)
{
	uint8_t *b = buf;
	size_t i;

	if ((buf == NULL && len > 0) || !range_ok(f, off, len))
		return PORT_EINVAL;
	if (ensure_open(f) < 0)
		return PORT_EIO;
	if (pread(f->fd, b, len, off) != (ssize_t)len)
		return PORT_EIO;
	for (i = 0; i < len; i++)
		b[i] = (uint8_t)~b[i];
	f->pool->reads++;
	return 0;
}

int
pflash_write(struct pflash *f, uint32_t off, const void *buf, size_t len)
{
	uint8_t tmp[4096];
	const uint8_t *d = buf;
	size_t done = 0, i;

	if ((buf == NULL && len > 0) || !range_ok(f, off, len))
		return PORT_EINVAL;
	if (ensure_open(f) < 0)
		return PORT_EIO;
	while (done < len) {
		size_t n = len - done > sizeof(tmp) ? sizeof(tmp) : len - done;
		if (pread(f->fd, tmp, n, off + done) != (ssize_t)n)
			return PORT_EIO;
		/* stored = ~flash; flash' = flash & d  =>  stored' = stored | ~d */
		for (i = 0; i < n; i++)
			tmp[i] = (uint8_t)(tmp[i] | (uint8_t)~d[done + i]);
		if (pwrite(f->fd, tmp, n, off + done) != (ssize_t)n)
			return PORT_EIO;
		done += n;
	}
	f->pool->writes++;
	return 0;
}

int
pflash_erase(struct pflash *f, uint32_t off, size_t len)
{
	static const uint8_t zeros[4096];
	size_t done = 0;

	if (!range_ok(f, off, len) || off % f->sector != 0 || len % f->sector != 0)
		return PORT_EINVAL;
	if (ensure_open(f) < 0)
		return PORT_EIO;
	f->pool->erases++;
	if (len == 0)
		return 0;
	if (fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, (off_t)len) == 0)
		return 0;
	while (done < len) {
		size_t n = len - done > sizeof(zeros) ? sizeof(zeros) : len - done;
		if (pwrite(f->fd, zeros, n, off + done) != (ssize_t)n)
			return PORT_EIO;
		done += n;
	}
	return 0;
}
