/*
 * cm-provision: writes one node's identity into a copy of node.elf.
 *
 *	cm-provision [-i MS] [-H MS] IN.elf OUT.elf NODE_ID KEY_HEX64
 *	cm-provision [-i MS] [-H MS] IN.elf OUT.elf --enrolled FILE [--node NODE_ID]
 *
 * -i / -H set the node's default inference and Health periods in ms (0, the
 * default: the agent's own defaults of 1 s and 60 s).
 *
 * The second form reads the daemon's enrollment output (tinyfleetd --enroll /
 * --enroll-batch --out FILE: `node_id,key_hex64,gateway,name` per line, `#`
 * comments) and takes the line of NODE_ID, or the first node when --node is
 * not given.
 *
 * The image's .provision section (ports/cortex-m/provision.h: magic,
 * version, node id, key, CRC-32) is located through the ELF section headers
 * and overwritten in the copy; nothing else changes, so one build serves every
 * node. OUT is written 0600 (it holds a key) through a temporary file and a
 * rename, so a failed run never leaves a half-written image.
 *
 * Exit status: 0 done, 1 bad input (usage, unknown node, not an image with a
 * .provision section), 2 I/O error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/hash.h"
#include "ports/cortex-m/provision.h"

#define REC_BYTES (CM_PROVISION_CRC_SPAN + 4u)

static uint32_t
rd16(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t
rd32(const uint8_t *p)
{
	return rd16(p) | rd16(p + 2) << 16;
}

static void
wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/*
 * Finds the file offset of section `name` in a little-endian ELF32 image.
 * Returns 0 and *ret_off, *ret_size, or -1 when it is not such an image or has
 * no such section. Every offset is checked against the file size.
 */
static int
elf_find_section(const uint8_t *img, size_t len, const char *name, size_t *ret_off,
                 size_t *ret_size)
{
	uint32_t shoff, shentsize, shnum, shstrndx, stroff, strsize, i;

	if (len < 52 || memcmp(img, "\177ELF", 4) != 0 || img[4] != 1 || img[5] != 1)
		return -1;
	shoff = rd32(img + 32);
	shentsize = rd16(img + 46);
	shnum = rd16(img + 48);
	shstrndx = rd16(img + 50);
	if (shentsize < 40 || shstrndx >= shnum || shoff > len ||
	    (uint64_t)shnum * shentsize > len - shoff)
		return -1;
	stroff = rd32(img + shoff + shstrndx * shentsize + 16);
	strsize = rd32(img + shoff + shstrndx * shentsize + 20);
	if (stroff > len || strsize > len - stroff)
		return -1;
	for (i = 0; i < shnum; i++) {
		const uint8_t *sh = img + shoff + i * shentsize;
		uint32_t nm = rd32(sh), type = rd32(sh + 4), off = rd32(sh + 16),
		         size = rd32(sh + 20);
		size_t nlen = strlen(name);

		if (nm >= strsize || strsize - nm <= nlen ||
		    memcmp(img + stroff + nm, name, nlen + 1) != 0)
			continue;
		if (type != 1 /* SHT_PROGBITS */ || off > len || size > len - off)
			return -1;
		*ret_off = off;
		*ret_size = size;
		return 0;
	}
	return -1;
}

static int
parse_key(const char *hex, uint8_t key[32])
{
	int i;

	if (strlen(hex) != 64)
		return -1;
	for (i = 0; i < 32; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1 ||
		    !strchr("0123456789abcdefABCDEF", hex[2 * i]) ||
		    !strchr("0123456789abcdefABCDEF", hex[2 * i + 1]))
			return -1;
		key[i] = (uint8_t)v;
	}
	return 0;
}

static int
parse_id(const char *s, uint32_t *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v == 0 || v > UINT32_MAX || s[0] == '-')
		return -1;
	*ret = (uint32_t)v;
	return 0;
}

/* Reads the node (want != 0: that id; else the first) from an enrollment file. */
static int
load_enrolled(const char *path, uint32_t want, uint32_t *ret_id, uint8_t key[32])
{
	char line[512];
	FILE *f = fopen(path, "r");
	int r = -1, lineno = 0;

	if (f == NULL) {
		fprintf(stderr, "cm-provision: '%s': %s\n", path, strerror(errno));
		return -2;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *id, *hex, *save = NULL;
		uint32_t v;

		lineno++;
		if (line[0] == '#' || line[0] == '\n' || line[0] == '\0')
			continue;
		id = strtok_r(line, ",\n", &save);
		hex = strtok_r(NULL, ",\n", &save);
		if (id == NULL || hex == NULL || parse_id(id, &v) < 0 || parse_key(hex, key) < 0) {
			fprintf(stderr, "cm-provision: %s:%d: malformed line\n", path, lineno);
			r = -1;
			break;
		}
		if (want == 0 || v == want) {
			*ret_id = v;
			r = 0;
			break;
		}
	}
	if (r < 0 && !ferror(f) && want != 0)
		fprintf(stderr, "cm-provision: node %u is not in '%s'\n", want, path);
	fclose(f);
	return r;
}

static int
read_file(const char *path, uint8_t **ret, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;
	int r = -2;

	if (f == NULL)
		goto out;
	if (fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0)
		goto out;
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
		goto out;
	*ret = buf;
	*ret_len = (size_t)n;
	buf = NULL; /* transferred */
	r = 0;
out:
	if (r < 0)
		fprintf(stderr, "cm-provision: '%s': %s\n", path, strerror(errno ? errno : EIO));
	free(buf);
	if (f != NULL)
		fclose(f);
	return r;
}

static int
write_file(const char *path, const uint8_t *buf, size_t len)
{
	char tmp[4096];
	int fd = -1, r = -2;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >= sizeof(tmp))
		return -1;
	fd = mkstemp(tmp);
	if (fd < 0)
		goto out;
	if (fchmod(fd, 0600) < 0 || write(fd, buf, len) != (ssize_t)len || fsync(fd) < 0)
		goto out;
	if (close(fd) < 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto out;
	r = 0;
out:
	if (r < 0) {
		fprintf(stderr, "cm-provision: '%s': %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
	}
	return r;
}

static void
usage(void)
{
	fprintf(stderr, "usage: cm-provision [-i MS] [-H MS] IN.elf OUT.elf NODE_ID KEY_HEX64\n"
	                "       cm-provision [-i MS] [-H MS] IN.elf OUT.elf --enrolled FILE "
	                "[--node NODE_ID]\n");
}

int
main(int argc, char **argv)
{
	uint8_t key[32], *img = NULL, *rec;
	uint32_t id = 0, want = 0, infer_ms = 0, health_ms = 0;
	size_t len, off, size;
	int r, c;

	while ((c = getopt(argc, argv, "+i:H:")) != -1) {
		uint32_t *dst = c == 'i' ? &infer_ms : &health_ms;
		if ((c != 'i' && c != 'H') ||
		    (strcmp(optarg, "0") != 0 && parse_id(optarg, dst) < 0)) {
			usage();
			return 1;
		}
	}
	argc -= optind - 1;
	argv += optind - 1;

	if (argc == 5 && strcmp(argv[3], "--enrolled") != 0) {
		if (parse_id(argv[3], &id) < 0 || parse_key(argv[4], key) < 0) {
			fprintf(stderr, "cm-provision: NODE_ID must be 1..4294967295 and KEY 64 "
			                "hex digits\n");
			return 1;
		}
	} else if ((argc == 5 || argc == 7) && strcmp(argv[3], "--enrolled") == 0) {
		if (argc == 7 && (strcmp(argv[5], "--node") != 0 || parse_id(argv[6], &want) < 0)) {
			usage();
			return 1;
		}
		r = load_enrolled(argv[4], want, &id, key);
		if (r < 0)
			return r == -2 ? 2 : 1;
	} else {
		usage();
		return 1;
	}

	r = read_file(argv[1], &img, &len);
	if (r < 0)
		return 2;
	if (elf_find_section(img, len, CM_PROVISION_SECTION, &off, &size) < 0 || size < REC_BYTES ||
	    rd32(img + off) != CM_PROVISION_MAGIC || rd32(img + off + 4) != CM_PROVISION_VERSION) {
		fprintf(stderr, "cm-provision: '%s' has no %s record (not a node.elf?)\n", argv[1],
		        CM_PROVISION_SECTION);
		free(img);
		return 1;
	}
	rec = img + off;
	wr32(rec + 8, id);
	memcpy(rec + 12, key, 32);
	wr32(rec + 44, infer_ms);
	wr32(rec + 48, health_ms);
	wr32(rec + CM_PROVISION_CRC_SPAN, agent_crc32(0, rec, CM_PROVISION_CRC_SPAN));
	r = write_file(argv[2], img, len);
	memset(key, 0, sizeof(key));
	free(img);
	if (r < 0)
		return 2;
	printf("%s: node %u\n", argv[2], id);
	return 0;
}
