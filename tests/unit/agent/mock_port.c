/*
 * mock_port.c: the in-memory port of the agent's unit tests (see mock_port.h).
 */
#include <string.h>

#include "mock_port.h"

void
mock_port_init(struct mock_port *m)
{
	memset(m, 0, sizeof(*m));
	memset(m->flash, 0xff, sizeof(m->flash));
	m->now_us = 1000000;
	m->rng = 12345;
	m->fail_writes_after = -1;
	m->boot_reason = PORT_RESET_POWER_ON;
}

void
mock_port_clear_frames(struct mock_port *m)
{
	m->n_frames = 0;
}

static uint64_t
m_now(void *ctx)
{
	return ((struct mock_port *)ctx)->now_us;
}

static void
m_random(void *ctx, uint8_t *buf, size_t n)
{
	struct mock_port *m = ctx;
	size_t i;

	for (i = 0; i < n; i++) {
		m->rng ^= m->rng << 13;
		m->rng ^= m->rng >> 17;
		m->rng ^= m->rng << 5;
		buf[i] = (uint8_t)m->rng;
	}
}

static int
m_send(void *ctx, const uint8_t *frame, size_t len)
{
	struct mock_port *m = ctx;

	if (m->fail_send)
		return PORT_EIO;
	if (len > MOCK_FRAME_BYTES)
		return PORT_EINVAL;
	if (m->n_frames < MOCK_FRAMES_MAX) {
		memcpy(m->frames[m->n_frames], frame, len);
		m->frame_len[m->n_frames] = len;
		m->n_frames++;
	}
	return 0;
}

static void
m_flash_info(void *ctx, struct port_flash_info *ret)
{
	ret->size = MOCK_FLASH_SIZE;
	ret->sector_size = MOCK_SECTOR;
}

static int
m_read(void *ctx, uint32_t off, void *buf, size_t len)
{
	struct mock_port *m = ctx;

	if (off > MOCK_FLASH_SIZE || len > MOCK_FLASH_SIZE - off)
		return PORT_EINVAL;
	memcpy(buf, m->flash + off, len);
	m->reads++;
	return 0;
}

static int
m_write(void *ctx, uint32_t off, const void *buf, size_t len)
{
	struct mock_port *m = ctx;
	const uint8_t *d = buf;
	size_t i, n = len;

	if (off > MOCK_FLASH_SIZE || len > MOCK_FLASH_SIZE - off)
		return PORT_EINVAL;
	if (m->fail_writes_after == 0)
		return PORT_EIO;
	if (m->fail_writes_after > 0)
		m->fail_writes_after--;
	if (m->tear_next_write > 0 && (size_t)m->tear_next_write < len)
		n = (size_t)m->tear_next_write;
	for (i = 0; i < n; i++)
		m->flash[off + i] &= d[i];
	m->writes++;
	if (n < len) {
		m->tear_next_write = 0;
		return PORT_EIO;
	}
	return 0;
}

static int
m_erase(void *ctx, uint32_t off, size_t len)
{
	struct mock_port *m = ctx;

	if (off % MOCK_SECTOR || len % MOCK_SECTOR || off > MOCK_FLASH_SIZE ||
	    len > MOCK_FLASH_SIZE - off)
		return PORT_EINVAL;
	if (m->fail_erase)
		return PORT_EIO;
	memset(m->flash + off, 0xff, len);
	m->erases++;
	return 0;
}

static const uint8_t *
m_map(void *ctx, uint32_t off, uint32_t len, const uint8_t sha256[32])
{
	struct mock_port *m = ctx;

	if (off > MOCK_FLASH_SIZE || len > MOCK_FLASH_SIZE - off)
		return NULL;
	return m->flash + off;
}

static int
m_sensor(void *ctx, const struct port_sensor_req *req, uint8_t *buf, size_t len)
{
	struct mock_port *m = ctx;
	size_t i;

	if (m->sensor_fail)
		return PORT_EAGAIN;
	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + req->sample);
	return 0;
}

static int
m_sensors(void *ctx, struct port_sensor_desc *ret, int max)
{
	if (max < 1)
		return 0;
	memset(ret, 0, sizeof(*ret));
	strcpy(ret->name, "accel");
	ret->rate_mhz = 100000;
	ret->channels = 3;
	return 1;
}

static void
m_status(void *ctx, struct port_status *ret)
{
	ret->battery_mv = 3300;
	ret->rssi_dbm = -70;
	ret->free_memory = 1024;
}

static enum port_reset_reason
m_reset_reason(void *ctx)
{
	return ((struct mock_port *)ctx)->boot_reason;
}

static void
m_reset(void *ctx, enum port_reset_reason why)
{
	struct mock_port *m = ctx;

	m->resets++;
	m->last_reset = why;
}

static int
m_hook(void *ctx, const uint8_t sha256[32], uint32_t *ret_extra_us)
{
	struct mock_port *m = ctx;

	*ret_extra_us = m->extra_latency_us;
	if (m->crash_on_model) {
		m_reset(ctx, PORT_RESET_FAULT);
		return 1;
	}
	return 0;
}

const struct port_ops mock_port_ops = {
        .now_us = m_now,
        .random = m_random,
        .link_send = m_send,
        .flash_info = m_flash_info,
        .flash_read = m_read,
        .flash_write = m_write,
        .flash_erase = m_erase,
        .flash_map = m_map,
        .sensor_read = m_sensor,
        .sensors = m_sensors,
        .status = m_status,
        .reset_reason = m_reset_reason,
        .reset = m_reset,
        .log = NULL,
        .inference_hook = m_hook,
};
