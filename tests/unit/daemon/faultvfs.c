/*
 * faultvfs: see faultvfs.h.
 */
#include <stdlib.h>

#include <sqlite3.h>

#include "faultvfs.h"

int fault_rc;

struct ffile {
	sqlite3_file base;
	sqlite3_file *real;
};

#define REAL(f) (((struct ffile *)(f))->real)

static int
f_close(sqlite3_file *f)
{
	int r = REAL(f)->pMethods->xClose(REAL(f));

	free(REAL(f));
	return r;
}
static int
f_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o)
{
	return REAL(f)->pMethods->xRead(REAL(f), b, n, o);
}
static int
f_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o)
{
	return fault_rc ? fault_rc : REAL(f)->pMethods->xWrite(REAL(f), b, n, o);
}
static int
f_truncate(sqlite3_file *f, sqlite3_int64 s)
{
	return fault_rc ? fault_rc : REAL(f)->pMethods->xTruncate(REAL(f), s);
}
static int
f_sync(sqlite3_file *f, int fl)
{
	return fault_rc ? (fault_rc == SQLITE_FULL ? SQLITE_IOERR_FSYNC : fault_rc)
	                : REAL(f)->pMethods->xSync(REAL(f), fl);
}
static int
f_size(sqlite3_file *f, sqlite3_int64 *s)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), s);
}
static int
f_lock(sqlite3_file *f, int l)
{
	return REAL(f)->pMethods->xLock(REAL(f), l);
}
static int
f_unlock(sqlite3_file *f, int l)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), l);
}
static int
f_reserved(sqlite3_file *f, int *r)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), r);
}
static int
f_fcntl(sqlite3_file *f, int op, void *a)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, a);
}
static int
f_sector(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}
static int
f_devchar(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}
static int
f_shmmap(sqlite3_file *f, int i, int sz, int e, void volatile **p)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), i, sz, e, p);
}
static int
f_shmlock(sqlite3_file *f, int o, int n, int fl)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), o, n, fl);
}
static void
f_shmbarrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}
static int
f_shmunmap(sqlite3_file *f, int d)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), d);
}

static const sqlite3_io_methods f_methods = {
        2,         f_close,      f_read,     f_write, f_truncate, f_sync,    f_size,
        f_lock,    f_unlock,     f_reserved, f_fcntl, f_sector,   f_devchar, f_shmmap,
        f_shmlock, f_shmbarrier, f_shmunmap, NULL,    NULL,
};

static sqlite3_vfs fvfs;

static int
f_open(sqlite3_vfs *v, const char *name, sqlite3_file *f, int flags, int *out)
{
	sqlite3_vfs *real = v->pAppData;
	struct ffile *ff = (struct ffile *)f;
	int r;

	ff->real = calloc(1, (size_t)real->szOsFile);
	r = real->xOpen(real, name, ff->real, flags, out);
	if (r != SQLITE_OK) {
		free(ff->real);
		ff->base.pMethods = NULL;
		return r;
	}
	ff->base.pMethods = &f_methods;
	return SQLITE_OK;
}

void
fault_vfs_register(void)
{
	sqlite3_vfs *real = sqlite3_vfs_find(NULL);

	if (sqlite3_vfs_find("faulty") != NULL)
		return;
	fvfs = *real;
	fvfs.zName = "faulty";
	fvfs.szOsFile = sizeof(struct ffile);
	fvfs.pAppData = real;
	fvfs.xOpen = f_open;
	sqlite3_vfs_register(&fvfs, 0);
}
