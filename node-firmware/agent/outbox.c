/*
 * outbox.c: unacked messages in RAM, mirrored in a two-half flash log (see outbox.h).
 *
 * Divisions: log record encoding; log replay and compaction; the outbox itself.
 */
#include <string.h>

#include "agent/err.h"
#include "agent/hash.h"
#include "agent/outbox.h"

#define LOG_MAGIC     0x314f4654u /* "TFO1": half header */
#define REC_MAGIC     0xa5u
#define REC_ENQ       1u
#define REC_DEL       2u
#define HALF_HDR      16u
#define REC_HDR       12u
#define REC_MAX       ((REC_HDR + 1u + AGENT_MSG_MAX + 3u) & ~3u)
#define DEFAULT_RTO   1000u
#define DEFAULT_RTO_M 60000u

typedef char agent_outbox_cap_check[(AGENT_OUTBOX_CAP <= 64 && AGENT_OUTBOX_CAP >= 2) ? 1 : -1];

/* ---- log record encoding ---- */

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint32_t
agent_outbox_log_need(void)
{
	return HALF_HDR + 2u * AGENT_OUTBOX_CAP * REC_MAX;
}

/* Builds one record in buf; returns its padded size. */
static uint32_t
rec_build(uint8_t *buf, uint8_t type, uint32_t arg, const uint8_t *a, uint32_t alen,
          const uint8_t *b, uint32_t blen)
{
	uint32_t len = alen + blen, total = (REC_HDR + len + 3u) & ~3u, crc;

	buf[0] = REC_MAGIC;
	buf[1] = type;
	buf[2] = (uint8_t)len;
	buf[3] = (uint8_t)(len >> 8);
	put32(buf + 4, arg);
	if (alen)
		memcpy(buf + REC_HDR, a, alen);
	if (blen)
		memcpy(buf + REC_HDR + alen, b, blen);
	memset(buf + REC_HDR + len, 0, total - REC_HDR - len);
	crc = agent_crc32(0, buf, 8);
	crc = agent_crc32(crc, buf + REC_HDR, len);
	put32(buf + 8, crc);
	return total;
}

/* ---- the outbox in RAM ---- */

static struct agent_outbox_entry *
find_seq(struct agent_outbox *ob, uint32_t seq)
{
	uint32_t i;

	for (i = 0; i < AGENT_OUTBOX_CAP; i++)
		if (ob->e[i].seq == seq && seq != 0)
			return &ob->e[i];
	return NULL;
}

static struct agent_outbox_entry *
oldest_of(struct agent_outbox *ob, int kind)
{
	struct agent_outbox_entry *best = NULL;
	uint32_t i;

	for (i = 0; i < AGENT_OUTBOX_CAP; i++) {
		struct agent_outbox_entry *e = &ob->e[i];
		if (e->seq == 0 || (kind != 0 && e->kind != kind))
			continue;
		if (best == NULL || e->seq < best->seq)
			best = e;
	}
	return best;
}

static struct agent_outbox_entry *
insert_ram(struct agent_outbox *ob, uint32_t seq, uint8_t kind, const uint8_t *msg, size_t len,
           uint32_t now_ms)
{
	uint32_t i;

	for (i = 0; i < AGENT_OUTBOX_CAP; i++) {
		struct agent_outbox_entry *e = &ob->e[i];
		if (e->seq != 0)
			continue;
		e->seq = seq;
		e->kind = kind;
		e->len = (uint16_t)len;
		e->tries = 0;
		e->next_due_ms = now_ms;
		memcpy(e->msg, msg, len);
		ob->count++;
		if ((int32_t)(seq - ob->next_seq) >= 0)
			ob->next_seq = seq + 1;
		if (ob->next_seq == 0)
			ob->next_seq = 1;
		return e;
	}
	return NULL;
}

static void
remove_ram(struct agent_outbox *ob, struct agent_outbox_entry *e)
{
	e->seq = 0;
	e->len = 0;
	ob->count--;
}

/* ---- log replay and compaction ---- */

/* Writes a snapshot of the live entries into the other half and makes it active. */
static int
log_compact(struct agent_outbox *ob)
{
	uint8_t buf[REC_MAX];
	uint32_t to = ob->log_active ^ 1u, base = ob->log_off[to], pos = HALF_HDR, n, i;
	uint32_t order[AGENT_OUTBOX_CAP], cnt = 0;
	uint8_t hdr[HALF_HDR];

	if (ob->ops->flash_erase(ob->ctx, base, ob->log_half) < 0)
		goto fail;
	/* Oldest first, so a replay rebuilds the same order. */
	for (i = 0; i < AGENT_OUTBOX_CAP; i++)
		if (ob->e[i].seq != 0)
			order[cnt++] = i;
	for (i = 1; i < cnt; i++) {
		uint32_t k = order[i], j = i;
		while (j > 0 && ob->e[order[j - 1]].seq > ob->e[k].seq) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = k;
	}
	for (i = 0; i < cnt; i++) {
		const struct agent_outbox_entry *e = &ob->e[order[i]];
		n = rec_build(buf, REC_ENQ, e->seq, &e->kind, 1, e->msg, e->len);
		if (ob->ops->flash_write(ob->ctx, base + pos, buf, n) < 0)
			goto fail;
		pos += n;
	}
	put32(hdr, LOG_MAGIC);
	put32(hdr + 4, ob->log_gen + 1);
	put32(hdr + 8, ob->next_seq);
	put32(hdr + 12, agent_crc32(0, hdr, 12));
	if (ob->ops->flash_write(ob->ctx, base, hdr, HALF_HDR) < 0)
		goto fail;
	ob->log_active = to;
	ob->log_gen++;
	ob->log_pos = pos;
	ob->n_pend = 0; /* the snapshot holds only live entries */
	return 0;
fail:
	ob->log_errors++;
	return AGENT_EIO;
}

/* Appends one record, compacting first when it does not fit. */
static int
log_append(struct agent_outbox *ob, const uint8_t *rec, uint32_t n)
{
	if (ob->ops == NULL)
		return 0;
	if (ob->log_pos + n > ob->log_half)
		return log_compact(ob); /* the snapshot already reflects this change */
	if (ob->ops->flash_write(ob->ctx, ob->log_off[ob->log_active] + ob->log_pos, rec, n) < 0) {
		ob->log_errors++;
		/* The place may be half written now: move to a clean half. */
		return log_compact(ob);
	}
	ob->log_pos += n;
	return 0;
}

#define DEL_MAX (REC_HDR + 4 * AGENT_OUTBOX_CAP + 4)

/* Builds the DEL record of the pending removals into buf; returns its size (0: none). */
static uint32_t
del_build(struct agent_outbox *ob, uint8_t *buf)
{
	uint8_t pl[4 * AGENT_OUTBOX_CAP];
	uint32_t i;

	if (ob->n_pend == 0)
		return 0;
	for (i = 0; i < ob->n_pend; i++)
		put32(pl + 4 * i, ob->pend_del[i]);
	return rec_build(buf, REC_DEL, ob->n_pend, pl, 4 * ob->n_pend, NULL, 0);
}

int
agent_outbox_flush(struct agent_outbox *ob)
{
	uint8_t buf[DEL_MAX];
	uint32_t n = del_build(ob, buf);
	int r;

	if (n == 0)
		return 0;
	r = log_append(ob, buf, n);
	ob->n_pend = 0; /* written, or compacted away by log_append */
	return r;
}

/* Records a removal; it reaches flash with the next append or flush. */
static void
pend_del(struct agent_outbox *ob, uint32_t seq)
{
	if (ob->ops == NULL)
		return;
	if (ob->n_pend == AGENT_OUTBOX_CAP)
		(void)agent_outbox_flush(ob);
	ob->pend_del[ob->n_pend++] = seq;
}

/* Reads the header of half h; returns 1 and its gen/next_seq when valid. */
static int
half_header(struct agent_outbox *ob, uint32_t h, uint32_t *gen, uint32_t *next_seq)
{
	uint8_t hdr[HALF_HDR];

	if (ob->ops->flash_read(ob->ctx, ob->log_off[h], hdr, HALF_HDR) < 0)
		return -1;
	if (get32(hdr) != LOG_MAGIC || get32(hdr + 12) != agent_crc32(0, hdr, 12))
		return 0;
	*gen = get32(hdr + 4);
	*next_seq = get32(hdr + 8);
	return 1;
}

/* Replays the records of the active half; returns 1 if the tail is not clean. */
static int
log_replay(struct agent_outbox *ob, uint32_t now_ms)
{
	uint8_t buf[REC_MAX];
	uint32_t base = ob->log_off[ob->log_active], pos = HALF_HDR;

	for (;;) {
		uint32_t len, total, crc, arg, i;

		if (pos + REC_HDR > ob->log_half)
			break;
		if (ob->ops->flash_read(ob->ctx, base + pos, buf, REC_HDR) < 0)
			return 1;
		if (buf[0] == 0xff && buf[1] == 0xff && buf[2] == 0xff && buf[3] == 0xff)
			break; /* erased: the end */
		len = (uint32_t)buf[2] | (uint32_t)buf[3] << 8;
		total = (REC_HDR + len + 3u) & ~3u;
		if (buf[0] != REC_MAGIC || total > REC_MAX || pos + total > ob->log_half)
			return ob->log_pos = pos, 1;
		if (ob->ops->flash_read(ob->ctx, base + pos + REC_HDR, buf + REC_HDR,
		                        total - REC_HDR) < 0)
			return 1;
		crc = agent_crc32(agent_crc32(0, buf, 8), buf + REC_HDR, len);
		if (crc != get32(buf + 8))
			return ob->log_pos = pos, 1;
		arg = get32(buf + 4);
		if (buf[1] == REC_ENQ && len >= 1 && len - 1 <= AGENT_MSG_MAX && arg != 0) {
			if (find_seq(ob, arg) == NULL && ob->count < AGENT_OUTBOX_CAP)
				insert_ram(ob, arg, buf[REC_HDR], buf + REC_HDR + 1, len - 1,
				           now_ms);
		} else if (buf[1] == REC_DEL && len == 4 * arg) {
			for (i = 0; i < arg; i++) {
				struct agent_outbox_entry *e =
				        find_seq(ob, get32(buf + REC_HDR + 4 * i));
				if (e != NULL)
					remove_ram(ob, e);
			}
		} else {
			return ob->log_pos = pos, 1;
		}
		pos += total;
	}
	ob->log_pos = pos;
	/* The rest of a record place must be erased too, or appends would merge into junk. */
	if (pos + REC_HDR <= ob->log_half) {
		uint8_t chk[REC_HDR];
		uint32_t i;
		if (ob->ops->flash_read(ob->ctx, base + pos, chk, REC_HDR) < 0)
			return 1;
		for (i = 0; i < REC_HDR; i++)
			if (chk[i] != 0xff)
				return 1;
	}
	return 0;
}

int
agent_outbox_open(struct agent_outbox *ob, const struct port_ops *ops, void *ctx,
                  const struct agent_layout *lay, uint32_t now_ms)
{
	uint32_t gen[2] = {0, 0}, ns[2] = {0, 0};
	int v[2], h;

	memset(ob, 0, sizeof(*ob));
	ob->next_seq = 1;
	ob->rto_initial_ms = DEFAULT_RTO;
	ob->rto_max_ms = DEFAULT_RTO_M;
	ob->ops = ops;
	ob->ctx = ctx;
	if (ops == NULL)
		return 0; /* RAM only (unit tests of the policy) */
	ob->log_off[0] = lay->outbox_off;
	ob->log_off[1] = lay->outbox_off + lay->outbox_half;
	ob->log_half = lay->outbox_half;
	if (ob->log_half < agent_outbox_log_need())
		return AGENT_ENOSPC;
	v[0] = half_header(ob, 0, &gen[0], &ns[0]);
	v[1] = half_header(ob, 1, &gen[1], &ns[1]);
	if (v[0] < 0 || v[1] < 0)
		return AGENT_EIO;
	if (v[0] <= 0 && v[1] <= 0) {
		/* Fresh: write an empty snapshot into half 0. */
		ob->log_active = 1;
		ob->log_gen = 0;
		return log_compact(ob);
	}
	h = (v[1] > 0 && (v[0] <= 0 || (int32_t)(gen[1] - gen[0]) > 0)) ? 1 : 0;
	ob->log_active = (uint32_t)h;
	ob->log_gen = gen[h];
	if (ns[h] > ob->next_seq)
		ob->next_seq = ns[h];
	if (log_replay(ob, now_ms))
		return log_compact(ob);
	return 0;
}

void
agent_outbox_set_rto(struct agent_outbox *ob, uint32_t initial_ms, uint32_t max_ms)
{
	ob->rto_initial_ms = initial_ms ? initial_ms : DEFAULT_RTO;
	ob->rto_max_ms = max_ms ? max_ms : DEFAULT_RTO_M;
	if (ob->rto_max_ms < ob->rto_initial_ms)
		ob->rto_max_ms = ob->rto_initial_ms;
}

uint32_t
agent_outbox_take_seq(struct agent_outbox *ob)
{
	uint32_t s = ob->next_seq;

	ob->next_seq++;
	if (ob->next_seq == 0)
		ob->next_seq = 1;
	return s;
}

int
agent_outbox_push(struct agent_outbox *ob, uint32_t seq, enum agent_msg_kind kind,
                  const uint8_t *msg, size_t len, uint32_t now_ms)
{
	uint8_t buf[DEL_MAX + REC_MAX];
	uint8_t k = (uint8_t)kind;
	struct agent_outbox_entry *victim = NULL;
	int dropped = 0;
	uint32_t n;

	if (len > AGENT_MSG_MAX || seq == 0 || (msg == NULL && len > 0))
		return AGENT_EINVAL;
	if (ob->count >= AGENT_OUTBOX_CAP) {
		victim = oldest_of(ob, AGENT_KIND_INFERENCE);
		if (victim == NULL) {
			if (kind == AGENT_KIND_INFERENCE) {
				ob->drops++;
				return AGENT_EFULL;
			}
			victim = oldest_of(ob, (int)kind);
			if (victim == NULL)
				victim = oldest_of(ob, 0);
		}
		pend_del(ob, victim->seq);
		remove_ram(ob, victim);
		ob->drops++;
		dropped = 1;
	}
	insert_ram(ob, seq, k, msg, len, now_ms);
	if (ob->ops == NULL)
		return dropped;
	/*
	 * Pending removals and the new entry go to flash in one write. The entry
	 * must be there before its first transmission (its seq must never be
	 * reused); removals may lag, since a reboot that forgets one only resends
	 * a message the gateway already has, which it acks again as a duplicate.
	 */
	n = del_build(ob, buf);
	n += rec_build(buf + n, REC_ENQ, seq, &k, 1, msg, (uint32_t)len);
	(void)log_append(ob, buf, n); /* a log failure is counted; the entry stays in RAM */
	ob->n_pend = 0;
	return dropped;
}

int
agent_outbox_ack(struct agent_outbox *ob, uint32_t cumulative, uint64_t sack)
{
	uint32_t n = 0, i;

	for (i = 0; i < AGENT_OUTBOX_CAP; i++) {
		struct agent_outbox_entry *e = &ob->e[i];
		uint32_t d;
		if (e->seq == 0)
			continue;
		d = e->seq - cumulative; /* wraps: seqs below cumulative give huge d */
		if ((int32_t)d <= 0 || (d <= 64 && ((sack >> (d - 1)) & 1u))) {
			pend_del(ob, e->seq);
			remove_ram(ob, e);
			n++;
		}
	}
	return (int)n;
}

/* Only seqs below floor + AGENT_SEQ_WINDOW go out: the gateway drops the rest unacked. */
static int
in_window(const struct agent_outbox_entry *e, uint32_t floor)
{
	return e->seq - floor < AGENT_SEQ_WINDOW;
}

struct agent_outbox_entry *
agent_outbox_due(struct agent_outbox *ob, uint32_t now_ms)
{
	struct agent_outbox_entry *best = NULL;
	uint32_t i, floor = agent_outbox_floor(ob);

	for (i = 0; i < AGENT_OUTBOX_CAP; i++) {
		struct agent_outbox_entry *e = &ob->e[i];
		if (e->seq == 0 || (int32_t)(e->next_due_ms - now_ms) > 0 || !in_window(e, floor))
			continue;
		if (best == NULL || (int32_t)(e->next_due_ms - best->next_due_ms) < 0 ||
		    (e->next_due_ms == best->next_due_ms && e->seq < best->seq))
			best = e;
	}
	return best;
}

void
agent_outbox_sent(struct agent_outbox *ob, struct agent_outbox_entry *e, uint32_t now_ms)
{
	uint32_t rto = ob->rto_initial_ms, r = 0, i;

	if (e->tries > 0)
		ob->retransmits++;
	for (i = 0; i < e->tries && rto < ob->rto_max_ms; i++)
		rto *= 2;
	if (rto > ob->rto_max_ms)
		rto = ob->rto_max_ms;
	if (e->tries < 255)
		e->tries++;
	if (ob->ops != NULL && ob->ops->random != NULL)
		ob->ops->random(ob->ctx, (uint8_t *)&r, sizeof(r));
	/* +-25% jitter: rto * 3/4 + [0, rto/2]. */
	e->next_due_ms = now_ms + rto - rto / 4 + r % (rto / 2 + 1);
}

uint32_t
agent_outbox_next_due(const struct agent_outbox *ob, uint32_t now_ms)
{
	uint32_t best = now_ms + 0x7fffffffu, i, floor = agent_outbox_floor(ob);

	for (i = 0; i < AGENT_OUTBOX_CAP; i++) {
		const struct agent_outbox_entry *e = &ob->e[i];
		if (e->seq != 0 && in_window(e, floor) && (int32_t)(e->next_due_ms - best) < 0)
			best = e->next_due_ms;
	}
	return best;
}

void
agent_outbox_kick(struct agent_outbox *ob, uint32_t now_ms)
{
	uint32_t i;

	for (i = 0; i < AGENT_OUTBOX_CAP; i++)
		if (ob->e[i].seq != 0) {
			ob->e[i].next_due_ms = now_ms;
			ob->e[i].tries = 0;
		}
}

uint32_t
agent_outbox_oldest(const struct agent_outbox *ob)
{
	uint32_t best = 0, i;

	for (i = 0; i < AGENT_OUTBOX_CAP; i++)
		if (ob->e[i].seq != 0 && (best == 0 || ob->e[i].seq < best))
			best = ob->e[i].seq;
	return best;
}

uint32_t
agent_outbox_floor(const struct agent_outbox *ob)
{
	uint32_t oldest = agent_outbox_oldest(ob);

	return oldest != 0 ? oldest : ob->next_seq;
}
