/*
 * flash: file-backed NOR flash for tinyfleet-node (one file per node).
 *
 * Each node's flash is a sparse file `<dir>/node-<id>.flash` of the device size.
 * Bytes are stored inverted (file byte = ~flash byte) so that a fresh sparse
 * file, which reads as zeros, is an erased device that reads as 0xFF, and an
 * erase is a hole punch. Writes follow NOR rules: the stored value becomes
 * old & new, so the agent's "erase before write" discipline is tested for real.
 *
 * 10,000 nodes may exceed the process's file descriptor limit, so files are
 * opened lazily and a shared pool closes the oldest when its budget is used up.
 */
#ifndef TF_POSIX_FLASH_H
#define TF_POSIX_FLASH_H

#include <stddef.h>
#include <stdint.h>

struct pflash;

/* Descriptor budget shared by many flashes; closes the oldest first. */
struct pflash_pool {
	char dir[512];                  /* directory holding the files */
	struct pflash **ring;           /* open flashes, FIFO; `budget` places */
	int budget;                     /* descriptors the pool may hold open */
	int head;                       /* next ring place to use (and to evict) */
	uint64_t reads, writes, erases; /* operations, for --stats */
};

struct pflash {
	struct pflash_pool *pool;
	uint32_t id;     /* node id: names the file */
	uint32_t size;   /* device bytes */
	uint32_t sector; /* erase granularity */
	int fd;          /* -1 when closed */
};

/*
 * Prepares a pool for files in dir (created if missing) with at most budget
 * descriptors open. Returns 0 or -errno.
 */
int pflash_pool_init(struct pflash_pool *pool, const char *dir, int budget);
/* Closes every descriptor and frees the ring. */
void pflash_pool_done(struct pflash_pool *pool);

/* Binds f to node id's file (created sparse, all erased, when missing). 0 or -errno. */
int pflash_open(struct pflash *f, struct pflash_pool *pool, uint32_t id, uint32_t size,
                uint32_t sector);
void pflash_close(struct pflash *f);

/* The NOR operations of ports/port.h; 0 or a negative PORT_E* code. */
int pflash_read(struct pflash *f, uint32_t off, void *buf, size_t len);
int pflash_write(struct pflash *f, uint32_t off, const void *buf, size_t len);
int pflash_erase(struct pflash *f, uint32_t off, size_t len);

/* Path of node id's flash file in pool's directory (for tests and tools). */
int pflash_path(const struct pflash_pool *pool, uint32_t id, char *buf, size_t cap);

#endif
