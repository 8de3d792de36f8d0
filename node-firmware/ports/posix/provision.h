/*
 * provision: reads the daemon's enrollment output (tinyfleetd --enroll-batch N
 * --out FILE): one node per line, `node_id,key_hex64,gateway_host:port,name`,
 * blank lines and `#` comments allowed. node_id is a decimal u32, never 0.
 */
#ifndef TF_POSIX_PROVISION_H
#define TF_POSIX_PROVISION_H

#include <stddef.h>
#include <stdint.h>

struct provision_node {
	uint32_t node_id;
	uint8_t key[32];
	char gateway[128]; /* host:port */
	char name[64];
};

/*
 * Reads up to max nodes from path into a malloc'd array (*ret, freed by the
 * caller). Returns the number read, or -errno (-EINVAL for a malformed line,
 * with its number in *ret_line).
 */
int provision_load(const char *path, size_t max, struct provision_node **ret, int *ret_line);

/* Parses one line; 1 = a node, 0 = blank or comment, -EINVAL = malformed. */
int provision_parse_line(const char *line, struct provision_node *ret);

#endif
