/*
 * session: node table, frame checks, ack windows and gateway->node frames.
 * See session.h for the rules.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "session.h"
#include "wire/frame.h"

struct session {
	struct session_node **table; /* open addressing by node id; NULL = empty */
	size_t cap;                  /* power of two */
	size_t count;
	struct session_node **dirty; /* nodes with state to persist or frames to send */
	size_t n_dirty, cap_dirty;
	struct store_node_state *state; /* built by session_prepare_commit */
	size_t cap_state;
	struct codec_msg codec;
	struct session_stats stats;
};

static const char *const session_drop_names[SESSION_DROP__MAX] = {
        "malformed", "unknown_node", "forged", "replay", "decode", "ahead",
};

const char *
session_drop_name(enum session_drop d)
{
	return (unsigned)d < SESSION_DROP__MAX ? session_drop_names[d] : "unknown";
}

int
session_new(struct session **ret)
{
	struct session *s;

	if (sodium_init() < 0)
		return -EIO;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -ENOMEM;
	s->cap = 64;
	if ((s->table = calloc(s->cap, sizeof(*s->table))) == NULL) {
		free(s);
		return -ENOMEM;
	}
	*ret = s;
	return 0;
}

void
session_free(struct session *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->cap; i++) {
		if (s->table[i] != NULL) {
			sodium_memzero(s->table[i]->key, sizeof(s->table[i]->key));
			free(s->table[i]);
		}
	}
	free(s->table);
	free(s->dirty);
	free(s->state);
	free(s);
}

static size_t
session_hash(uint32_t id, size_t cap)
{
	return (size_t)((id * 2654435761u) & (uint32_t)(cap - 1));
}

struct session_node *
session_find(struct session *s, uint32_t node_id)
{
	size_t i = session_hash(node_id, s->cap);

	while (s->table[i] != NULL) {
		if (s->table[i]->id == node_id)
			return s->table[i];
		i = (i + 1) & (s->cap - 1);
	}
	return NULL;
}

static int
session_insert(struct session *s, struct session_node *n)
{
	size_t i;

	if ((s->count + 1) * 2 > s->cap) {
		size_t cap = s->cap * 2;
		struct session_node **t = calloc(cap, sizeof(*t));

		if (t == NULL)
			return -ENOMEM;
		for (size_t j = 0; j < s->cap; j++) {
			if (s->table[j] == NULL)
				continue;
			i = session_hash(s->table[j]->id, cap);
			while (t[i] != NULL)
				i = (i + 1) & (cap - 1);
			t[i] = s->table[j];
		}
		free(s->table);
		s->table = t;
		s->cap = cap;
	}
	i = session_hash(n->id, s->cap);
	while (s->table[i] != NULL)
		i = (i + 1) & (s->cap - 1);
	s->table[i] = n;
	s->count++;
	return 0;
}

static int
session_load_one(void *arg, const struct store_node *sn)
{
	struct session *s = arg;
	struct session_node *n;

	if (session_find(s, sn->id) != NULL)
		return 0; /* known: its live state is newer than the database's */
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return -ENOMEM;
	n->id = sn->id;
	memcpy(n->name, sn->name, sizeof(n->name));
	memcpy(n->key, sn->key, sizeof(n->key));
	n->rx = sn->rx;
	n->cum = n->staged_cum = sn->ack_cum;
	n->sack = n->staged_sack = sn->ack_sack;
	/*
	 * Counters below tx_reserved may have been used before a crash: start
	 * above them. The next commit reserves a fresh block before any send.
	 */
	n->tx_next = sn->tx_reserved + 1;
	n->tx_reserved = sn->tx_reserved;
	n->last_seen_ms = sn->last_seen_ms;
	n->abandoned = sn->seqs_abandoned;
	if (session_insert(s, n) < 0) {
		free(n);
		return -ENOMEM;
	}
	return 0;
}

int
session_load(struct session *s, struct store *st)
{
	return store_node_foreach(st, session_load_one, s);
}

int
session_reload_node(struct session *s, struct store *st, uint32_t node_id)
{
	struct session_node *n = session_find(s, node_id);
	struct store_node sn;
	int r;

	if ((r = store_node_get(st, node_id, &sn)) == -ENOENT) {
		/* Removed: it can no longer authenticate; the slot stays (no rehash). */
		if (n != NULL)
			sodium_memzero(n->key, sizeof(n->key));
		if (n != NULL)
			n->removed = true;
		return 0;
	}
	if (r < 0)
		return r;
	if (n == NULL) {
		r = session_load_one(s, &sn);
	} else {
		memcpy(n->key, sn.key, sizeof(n->key));
		memcpy(n->name, sn.name, sizeof(n->name));
		n->rx = sn.rx;
		n->cum = n->staged_cum = sn.ack_cum;
		n->sack = n->staged_sack = sn.ack_sack;
		n->abandoned = sn.seqs_abandoned; /* what staged since is dropped with the window */
		n->removed = false;
	}
	sodium_memzero(&sn, sizeof(sn));
	return r;
}

size_t
session_count(const struct session *s)
{
	return s->count;
}

int
session_touch(struct session *s, struct session_node *n)
{
	if (n->dirty)
		return 0;
	if (s->n_dirty == s->cap_dirty) {
		size_t cap = s->cap_dirty ? s->cap_dirty * 2 : 256;
		struct session_node **d = realloc(s->dirty, cap * sizeof(*d));

		if (d == NULL)
			return -ENOMEM;
		s->dirty = d;
		s->cap_dirty = cap;
	}
	s->dirty[s->n_dirty++] = n;
	n->dirty = true;
	return 0;
}

size_t
session_dirty_count(const struct session *s)
{
	return s->n_dirty;
}

/* Is seq in the window (1), a duplicate (0), or too far ahead (-1)? */
static int
session_window_check(uint32_t cum, uint64_t sack, uint32_t seq)
{
	uint64_t off;

	if (seq <= cum)
		return 0;
	off = (uint64_t)seq - cum - 1;
	if (off >= 64)
		return -1;
	return (sack >> off) & 1 ? 0 : 1;
}

static void
session_window_set(uint32_t *cum, uint64_t *sack, uint32_t seq)
{
	uint64_t off = (uint64_t)seq - *cum - 1;

	*sack |= 1ull << off;
	while (*sack & 1) {
		(*cum)++;
		*sack >>= 1;
	}
}

void
session_stage_seq(struct session *s, struct session_node *n, uint32_t seq)
{
	/* The caller made n dirty (session_touch) before staging: this cannot fail. */
	if (session_window_check(n->staged_cum, n->staged_sack, seq) == 1)
		session_window_set(&n->staged_cum, &n->staged_sack, seq);
	n->ack_due = true;
}

/*
 * A node's seq floor (see session.h): every seq below floor is acked or
 * abandoned by the node, so the staged window moves up to floor - 1 and the
 * selective bits above it fold in. Only ever forwards.
 */
static void
session_apply_floor(struct session *s, struct session_node *n, uint32_t floor)
{
	bool first = n->staged_cum == 0 && n->staged_sack == 0;
	uint64_t d, held, skipped;

	if (floor == 0 || floor - 1 <= n->staged_cum)
		return;
	d = (uint64_t)(floor - 1) - n->staged_cum;
	if (d >= 64) {
		held = (uint64_t)__builtin_popcountll(n->staged_sack);
		n->staged_sack = 0;
	} else {
		held = (uint64_t)__builtin_popcountll(n->staged_sack & ((1ull << d) - 1));
		n->staged_sack >>= d;
	}
	n->staged_cum = floor - 1;
	while (n->staged_sack & 1) {
		n->staged_cum++;
		n->staged_sack >>= 1;
	}
	skipped = first ? 0 : d - held;
	n->abandoned += skipped;
	s->stats.abandoned += skipped;
	log_debug("node %u: seq floor %u moves the ack window to %u: %llu seqs abandoned by the "
	          "node, never stored (%llu in all)",
	          n->id, floor, n->staged_cum, (unsigned long long)skipped,
	          (unsigned long long)n->abandoned);
	/*
	 * The new window goes to the database and to the node with the next
	 * commit. Without room in the dirty list a later commit takes it, and
	 * every frame repeats the floor anyway.
	 */
	n->ack_due = true;
	(void)session_touch(s, n);
}

static void
session_nonce(uint8_t nonce[12], const char *dir, uint64_t counter)
{
	memcpy(nonce, dir, 4);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(counter >> (8 * i));
}

static int
session_drop(struct session *s, enum session_drop why)
{
	s->stats.dropped[why]++;
	return -(int)why - 1;
}

int
session_receive(struct session *s, uint8_t *frame, size_t len, const struct transport_peer *from,
                int64_t now_ms, struct session_rx *ret)
{
	struct wire_frame_hdr hdr;
	struct session_node *n;
	uint8_t nonce[12];
	size_t clen;
	uint32_t seq;
	int w;

	if (wire_frame_parse(frame, len, &hdr) < 0 || (hdr.flags & WIRE_FRAME_FLAG_G2N))
		return session_drop(s, SESSION_DROP_MALFORMED);
	if ((n = session_find(s, hdr.node_id)) == NULL || n->removed)
		return session_drop(s, SESSION_DROP_UNKNOWN_NODE);
	/* Cheap check first: a replay costs no crypto. */
	if (wire_replay_check(&n->rx, hdr.counter) < 0)
		return session_drop(s, SESSION_DROP_REPLAY);
	clen = len - WIRE_FRAME_OVERHEAD;
	session_nonce(nonce, WIRE_FRAME_NONCE_N2G, hdr.counter);
	if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(
	            frame + WIRE_FRAME_HDR_BYTES, NULL, frame + WIRE_FRAME_HDR_BYTES, clen,
	            frame + len - WIRE_FRAME_TAG_BYTES, frame, WIRE_FRAME_HDR_BYTES, nonce,
	            n->key) != 0)
		return session_drop(s, SESSION_DROP_FORGED);
	/* Authentic: only now may the window move and the peer address change. */
	(void)wire_replay_accept(&n->rx, hdr.counter);
	n->peer = *from;
	n->has_peer = true;
	n->last_seen_ms = now_ms;
	if (codec_decode_node(&s->codec, frame + WIRE_FRAME_HDR_BYTES, clen) < 0)
		return session_drop(s, SESSION_DROP_DECODE);
	memset(ret, 0, sizeof(*ret));
	ret->node = n;
	ret->msg = s->codec.msg;
	seq = codec_seq(s->codec.msg);
	ret->seq = seq;
	/*
	 * The node's floor first, so that seqs it dropped never stall the window.
	 * A sequenced message is never below its sender's floor: such a floor is
	 * ignored rather than allowed to turn this message into a duplicate.
	 */
	if (s->codec.msg->body_case == TINYFLEET__V1__NODE_MESSAGE__BODY_CHUNK_REQUEST ||
	    (seq != 0 && s->codec.msg->seq_floor <= seq))
		session_apply_floor(s, n, s->codec.msg->seq_floor);
	if (s->codec.msg->body_case == TINYFLEET__V1__NODE_MESSAGE__BODY_CHUNK_REQUEST) {
		s->stats.accepted++;
		return 0; /* not sequenced, not acked */
	}
	if (seq == 0)
		return session_drop(s, SESSION_DROP_DECODE);
	/*
	 * First contact (nothing stored for this node yet) from a node that sends
	 * no floor: it may have been running before it was enrolled here, so the
	 * window starts just below its first seq instead of at 0.
	 */
	if (n->staged_cum == 0 && n->staged_sack == 0 && seq > 64)
		n->staged_cum = seq - 1;
	w = session_window_check(n->staged_cum, n->staged_sack, seq);
	if (w < 0)
		return session_drop(s, SESSION_DROP_AHEAD);
	if (w == 0) {
		ret->duplicate = true;
		s->stats.duplicates++;
		n->ack_due = true;
		(void)session_touch(s, n); /* no room: acked with a later commit */
		return 0;
	}
	s->stats.accepted++;
	return 0;
}

int
session_prepare_commit(struct session *s, struct store_node_state **ret_nodes, size_t *ret_n,
                       bool *ret_need_write)
{
	bool need = false;

	if (s->n_dirty > s->cap_state) {
		struct store_node_state *ns = realloc(s->state, s->n_dirty * sizeof(*ns));

		if (ns == NULL)
			return -ENOMEM;
		s->state = ns;
		s->cap_state = s->n_dirty;
	}
	for (size_t i = 0; i < s->n_dirty; i++) {
		struct session_node *n = s->dirty[i];
		struct store_node_state *st = &s->state[i];

		st->id = n->id;
		st->rx = n->rx;
		st->ack_cum = n->staged_cum;
		st->ack_sack = n->staged_sack;
		st->last_seen_ms = n->last_seen_ms;
		st->tx_reserved = n->tx_reserved;
		st->seqs_abandoned = n->abandoned;
		/* Each commit sends at most an Ack and a TimeSync per node. */
		if (n->tx_next + 2 > n->tx_reserved) {
			st->tx_reserved = n->tx_next + SESSION_TX_BLOCK;
			need = true;
		}
		if (n->staged_cum != n->cum || n->staged_sack != n->sack)
			need = true;
	}
	*ret_nodes = s->state;
	*ret_n = s->n_dirty;
	*ret_need_write = need;
	return 0;
}

int
session_seal(const uint8_t key[32], uint32_t node_id, uint64_t counter, const uint8_t *msg,
             size_t msg_len, uint8_t *out, size_t out_size)
{
	uint8_t nonce[12];
	unsigned long long maclen;

	if (msg_len > WIRE_FRAME_MAX_PAYLOAD || out_size < msg_len + WIRE_FRAME_OVERHEAD ||
	    counter == 0)
		return -EINVAL;
	out[0] = WIRE_FRAME_VERSION;
	out[1] = WIRE_FRAME_FLAG_G2N;
	for (int i = 0; i < 4; i++)
		out[2 + i] = (uint8_t)(node_id >> (8 * i));
	for (int i = 0; i < 8; i++)
		out[6 + i] = (uint8_t)(counter >> (8 * i));
	session_nonce(nonce, WIRE_FRAME_NONCE_G2N, counter);
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(
	        out + WIRE_FRAME_HDR_BYTES, out + WIRE_FRAME_HDR_BYTES + msg_len, &maclen, msg,
	        msg_len, out, WIRE_FRAME_HDR_BYTES, NULL, nonce, key);
	return (int)(msg_len + WIRE_FRAME_OVERHEAD);
}

static int
session_send(struct session *s, struct session_node *n, const uint8_t *msg, size_t len)
{
	uint8_t frame[WIRE_MAX_FRAME];
	int r;

	/* Never use a counter the database has not reserved: it could repeat after a crash. */
	if (!n->has_peer || n->tx_next >= n->tx_reserved)
		return -EAGAIN;
	r = session_seal(n->key, n->id, n->tx_next, msg, len, frame, sizeof(frame));
	if (r < 0)
		return r;
	n->tx_next++;
	r = transport_send(&n->peer, frame, (size_t)r);
	if (r < 0)
		s->stats.tx_errors++;
	return r;
}

void
session_commit_done(struct session *s, int64_t now_ms)
{
	uint8_t msg[64];
	int len;

	for (size_t i = 0; i < s->n_dirty; i++) {
		struct session_node *n = s->dirty[i];

		if (i < s->cap_state && s->state[i].id == n->id &&
		    s->state[i].tx_reserved > n->tx_reserved)
			n->tx_reserved = s->state[i].tx_reserved;
		n->cum = n->staged_cum;
		n->sack = n->staged_sack;
		if (n->ack_due) {
			len = codec_encode_ack(n->cum, n->sack, msg, sizeof(msg));
			if (len > 0 && session_send(s, n, msg, (size_t)len) == 0)
				s->stats.acks_sent++;
		}
		if (n->time_sync_due) {
			len = codec_encode_time_sync((uint64_t)now_ms, n->echo_mono_ms, msg,
			                             sizeof(msg));
			if (len > 0 && session_send(s, n, msg, (size_t)len) == 0)
				s->stats.time_syncs_sent++;
		}
		n->ack_due = false;
		n->time_sync_due = false;
		n->dirty = false;
	}
	s->n_dirty = 0;
}

void
session_get_stats(const struct session *s, struct session_stats *ret)
{
	*ret = s->stats;
}
