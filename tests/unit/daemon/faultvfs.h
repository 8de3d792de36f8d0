/*
 * faultvfs: a SQLite VFS named "faulty" that wraps the default one and fails
 * every write, truncate and sync with fault_rc while it is non-zero (SQLite's
 * own tests inject I/O errors the same way). Linked into every daemon unit test.
 */
#ifndef TF_TESTS_FAULTVFS_H
#define TF_TESTS_FAULTVFS_H

/* 0 = pass through; else the SQLite error every write and sync returns (SQLITE_FULL, ...). */
extern int fault_rc;

/* Registers the "faulty" VFS (idempotent); open a database with vfs "faulty" to use it. */
void fault_vfs_register(void);

#endif
