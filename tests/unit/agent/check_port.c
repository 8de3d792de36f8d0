/*
 * check_port: the HAL contract of ports/port.h, checked on every flash backend
 * the tests can reach (the mock port and the POSIX port's file-backed flash),
 * plus the POSIX port's provisioning reader and sensor generator.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mock_port.h"
#include "ports/port.h"
#include "ports/posix/flash.h"
#include "ports/posix/provision.h"
#include "ports/posix/sensor.h"

/* ---- the POSIX flash behind a port_ops table ---- */

static struct pflash_pool pool;
static struct pflash pf;
static char dir[64];

static void
pf_info(void *ctx, struct port_flash_info *ret)
{
	ret->size = ((struct pflash *)ctx)->size;
	ret->sector_size = ((struct pflash *)ctx)->sector;
}
static int
pf_read(void *ctx, uint32_t off, void *buf, size_t len)
{
	return pflash_read(ctx, off, buf, len);
}
static int
pf_write(void *ctx, uint32_t off, const void *buf, size_t len)
{
	return pflash_write(ctx, off, buf, len);
}
static int
pf_erase(void *ctx, uint32_t off, size_t len)
{
	return pflash_erase(ctx, off, len);
}
static const struct port_ops pf_ops = {.flash_info = pf_info,
                                       .flash_read = pf_read,
                                       .flash_write = pf_write,
                                       .flash_erase = pf_erase};

static struct mock_port *mp;

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_port.%d", (int)getpid());
	ck_assert_int_eq(pflash_pool_init(&pool, dir, 2), 0);
	ck_assert_int_eq(pflash_open(&pf, &pool, 7, 64 * 1024, 4096), 0);
	mp = malloc(sizeof(*mp));
	mock_port_init(mp);
}

static void
teardown(void)
{
	char path[600];

	pflash_close(&pf);
	if (pflash_path(&pool, 7, path, sizeof(path)) == 0)
		unlink(path);
	if (pflash_path(&pool, 8, path, sizeof(path)) == 0)
		unlink(path);
	if (pflash_path(&pool, 9, path, sizeof(path)) == 0)
		unlink(path);
	pflash_pool_done(&pool);
	rmdir(dir);
	free(mp);
}

/* The NOR contract every port's flash must keep. */
static void
flash_contract(const struct port_ops *ops, void *ctx)
{
	struct port_flash_info fi;
	uint8_t b[64], c[64];
	uint32_t s;
	size_t i;

	ops->flash_info(ctx, &fi);
	ck_assert_uint_ge(fi.sector_size, 256);
	ck_assert_uint_eq(fi.sector_size & (fi.sector_size - 1), 0);
	ck_assert_uint_eq(fi.size % fi.sector_size, 0);
	s = fi.sector_size;
	/* Erase sets a sector to 0xFF. */
	ck_assert_int_eq(ops->flash_erase(ctx, s, s), 0);
	ck_assert_int_eq(ops->flash_read(ctx, s + 10, b, sizeof(b)), 0);
	for (i = 0; i < sizeof(b); i++)
		ck_assert_uint_eq(b[i], 0xff);
	/* Write stores old & new: bits only clear. */
	memset(b, 0xf0, sizeof(b));
	ck_assert_int_eq(ops->flash_write(ctx, s + 10, b, sizeof(b)), 0);
	memset(b, 0x3c, sizeof(b));
	ck_assert_int_eq(ops->flash_write(ctx, s + 10, b, sizeof(b)), 0);
	ck_assert_int_eq(ops->flash_read(ctx, s + 10, c, sizeof(c)), 0);
	for (i = 0; i < sizeof(c); i++)
		ck_assert_uint_eq(c[i], 0x30);
	/* Neighbours untouched. */
	ck_assert_int_eq(ops->flash_read(ctx, s + 9, c, 1), 0);
	ck_assert_uint_eq(c[0], 0xff);
	ck_assert_int_eq(ops->flash_read(ctx, s + 10 + sizeof(b), c, 1), 0);
	ck_assert_uint_eq(c[0], 0xff);
	/* Erase brings the bits back. */
	ck_assert_int_eq(ops->flash_erase(ctx, s, s), 0);
	ck_assert_int_eq(ops->flash_read(ctx, s + 10, c, 4), 0);
	ck_assert_uint_eq(c[0] & c[1] & c[2] & c[3], 0xff);
	/* The last byte is reachable, one past it is not. */
	ck_assert_int_eq(ops->flash_read(ctx, fi.size - 1, c, 1), 0);
	ck_assert_int_lt(ops->flash_read(ctx, fi.size - 1, c, 2), 0);
	ck_assert_int_lt(ops->flash_write(ctx, fi.size, c, 1), 0);
	/* Erase takes whole, aligned sectors only. */
	ck_assert_int_lt(ops->flash_erase(ctx, s + 1, s), 0);
	ck_assert_int_lt(ops->flash_erase(ctx, 0, s + 1), 0);
	ck_assert_int_lt(ops->flash_erase(ctx, fi.size, s), 0);
}

START_TEST(test_port_mock_flash_keeps_the_nor_contract)
{
	flash_contract(&mock_port_ops, mp);
}
END_TEST

START_TEST(test_port_posix_flash_keeps_the_nor_contract)
{
	flash_contract(&pf_ops, &pf);
}
END_TEST

START_TEST(test_port_posix_flash_fresh_file_is_erased_and_persists_across_reopen)
{
	uint8_t b[8] = {1, 2, 3, 4, 5, 6, 7, 8}, c[8];

	ck_assert_int_eq(pflash_read(&pf, 60000, c, 8), 0);
	ck_assert_uint_eq(c[0] & c[7], 0xff);
	ck_assert_int_eq(pflash_write(&pf, 100, b, 8), 0);
	pflash_close(&pf);
	ck_assert_int_eq(pflash_open(&pf, &pool, 7, 64 * 1024, 4096), 0);
	ck_assert_int_eq(pflash_read(&pf, 100, c, 8), 0);
	ck_assert_mem_eq(b, c, 8);
}
END_TEST

START_TEST(test_port_mock_clock_is_monotonic_and_random_fills)
{
	uint8_t r1[16], r2[16];
	uint64_t t0 = mock_port_ops.now_us(mp);

	mp->now_us += 5;
	ck_assert_uint_ge(mock_port_ops.now_us(mp), t0);
	mock_port_ops.random(mp, r1, sizeof(r1));
	mock_port_ops.random(mp, r2, sizeof(r2));
	ck_assert(memcmp(r1, r2, sizeof(r1)) != 0);
}
END_TEST

START_TEST(test_port_sensor_is_deterministic_and_shaped)
{
	struct port_sensor_req rq = {{1, 96, 1, 1}, 2, 0, 0.05f, 0, 3};
	uint8_t a[96], b[96], img[32 * 32 * 3];
	struct port_sensor_req ri = {{1, 32, 32, 3}, 4, 0, 1.0f / 255.0f, -128, 0};
	size_t i, hi = 0;

	ck_assert_int_eq(sensor_fill(1, 5, &rq, a, sizeof(a), NULL), 0);
	ck_assert_int_eq(sensor_fill(1, 5, &rq, b, sizeof(b), NULL), 0);
	ck_assert_mem_eq(a, b, sizeof(a));
	rq.sample = 4;
	ck_assert_int_eq(sensor_fill(1, 5, &rq, b, sizeof(b), NULL), 0);
	ck_assert(memcmp(a, b, sizeof(a)) != 0);
	ck_assert_int_eq(sensor_fill(1, 5, &ri, img, sizeof(img), NULL), 0);
	for (i = 0; i < sizeof(img); i++)
		hi += (int8_t)img[i] > 0;
	ck_assert_uint_gt(hi, 0);
}
END_TEST

/* ---- limits ---- */

START_TEST(test_port_posix_flash_pool_closes_oldest_beyond_its_budget)
{
	struct pflash f8, f9;
	uint8_t b = 0x11, c;

	ck_assert_int_eq(pflash_open(&f8, &pool, 8, 8192, 4096), 0);
	ck_assert_int_eq(pflash_open(&f9, &pool, 9, 8192, 4096), 0); /* budget 2: pf closed */
	ck_assert_int_eq(pf.fd, -1);
	ck_assert_int_eq(pflash_write(&pf, 0, &b, 1), 0); /* reopens transparently */
	ck_assert_int_eq(pflash_read(&pf, 0, &c, 1), 0);
	ck_assert_uint_eq(c, 0x11);
	pflash_close(&f8);
	pflash_close(&f9);
}
END_TEST

START_TEST(test_port_sensor_replay_cycles_through_the_file)
{
	uint8_t data[3 * 4] = {1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3}, out[4];
	struct sensor_replay rp = {data, sizeof(data)};
	struct port_sensor_req rq = {{1, 4, 1, 1}, 2, 0, 1.0f, 0, 0};

	ck_assert_int_eq(sensor_fill(1, 0, &rq, out, 4, &rp), 0);
	ck_assert_uint_eq(out[0], 1);
	rq.sample = 4;
	ck_assert_int_eq(sensor_fill(1, 0, &rq, out, 4, &rp), 0);
	ck_assert_uint_eq(out[0], 2);
	ck_assert_int_eq(sensor_fill(1, 0, &rq, out, 5, &rp), PORT_EINVAL);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_port_provision_line_parses_and_rejects_bad_lines)
{
	struct provision_node n;
	const char *key = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
	char line[256];

	snprintf(line, sizeof(line), "42,%s,127.0.0.1:5684,pump-7\n", key);
	ck_assert_int_eq(provision_parse_line(line, &n), 1);
	ck_assert_uint_eq(n.node_id, 42);
	ck_assert_uint_eq(n.key[31], 0x1f);
	ck_assert_str_eq(n.gateway, "127.0.0.1:5684");
	ck_assert_str_eq(n.name, "pump-7");
	ck_assert_int_eq(provision_parse_line("# comment\n", &n), 0);
	ck_assert_int_eq(provision_parse_line("   \n", &n), 0);
	snprintf(line, sizeof(line), "0,%s,gw:1,x", key);
	ck_assert_int_eq(provision_parse_line(line, &n), -22);
	snprintf(line, sizeof(line), "5,%.62s,gw:1,x", key);
	ck_assert_int_eq(provision_parse_line(line, &n), -22);
	snprintf(line, sizeof(line), "5,%.63sg,gw:1,x", key);
	ck_assert_int_eq(provision_parse_line(line, &n), -22);
	snprintf(line, sizeof(line), "5,%s,gw:1", key);
	ck_assert_int_eq(provision_parse_line(line, &n), -22);
	snprintf(line, sizeof(line), "99999999999,%s,gw:1,x", key);
	ck_assert_int_eq(provision_parse_line(line, &n), -22);
}
END_TEST

START_TEST(test_port_posix_flash_rejects_out_of_range_and_missing_dir)
{
	struct pflash_pool p2;
	uint8_t c;

	ck_assert_int_lt(pflash_read(&pf, 64 * 1024, &c, 1), 0);
	ck_assert_int_lt(pflash_erase(&pf, 100, 4096), 0);
	ck_assert_int_lt(pflash_pool_init(&p2, "/proc/no/such/dir", 4), 0);
}
END_TEST

static Suite *
port_suite(void)
{
	Suite *s = suite_create("port");
	TCase *tc = tcase_create("core");
	TCase *tl = tcase_create("limits");
	TCase *te = tcase_create("errors");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_checked_fixture(tl, setup, teardown);
	tcase_add_checked_fixture(te, setup, teardown);
	tcase_add_test(tc, test_port_mock_flash_keeps_the_nor_contract);
	tcase_add_test(tc, test_port_posix_flash_keeps_the_nor_contract);
	tcase_add_test(tc, test_port_posix_flash_fresh_file_is_erased_and_persists_across_reopen);
	tcase_add_test(tc, test_port_mock_clock_is_monotonic_and_random_fills);
	tcase_add_test(tc, test_port_sensor_is_deterministic_and_shaped);
	tcase_add_test(tl, test_port_posix_flash_pool_closes_oldest_beyond_its_budget);
	tcase_add_test(tl, test_port_sensor_replay_cycles_through_the_file);
	tcase_add_test(te, test_port_provision_line_parses_and_rejects_bad_lines);
	tcase_add_test(te, test_port_posix_flash_rejects_out_of_range_and_missing_dir);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tl);
	suite_add_tcase(s, te);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(port_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
