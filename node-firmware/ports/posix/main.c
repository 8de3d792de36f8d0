/*
 * tinyfleet-node: the node firmware built for Linux. One process runs 1 to
 * 10,000 simulated nodes, each a full agent (agent/) running the real inference
 * core (core/) and protocol (wire/), on one epoll loop with no thread per node.
 *
 * Divisions: options; setup (provisioning, model, flash, nodes); the loop;
 * reports (--stats, --dump); teardown.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/hash.h"
#include "ports/posix/builtin_model.h"
#include "ports/posix/provision.h"
#include "ports/posix/sim.h"

#ifndef TF_VERSION
#define TF_VERSION "dev"
#endif

/* ---- options ---- */

static void
usage(FILE *fp)
{
	fprintf(fp,
	        "usage: tinyfleet-node --provision FILE [options]\n"
	        "  --provision FILE     nodes: `node_id,key_hex64,gateway_host:port,name` per "
	        "line\n"
	        "  --gateway HOST:PORT  UDP gateway (default: the file's first gateway)\n"
	        "  --serial PATH        talk COBS frames over a serial line instead of UDP\n"
	        "  --count N            run the first N nodes of the file (default: all)\n"
	        "  --model FILE         .tflite to run as the built-in model (default: generated)\n"
	        "  --period MS          inference period before any Config (default 1000)\n"
	        "  --health-period MS   health period before any Config (default 60000)\n"
	        "  --seed N             sensors, jitter and impairment seed (default 1)\n"
	        "  --state-dir DIR      each node's flash as DIR/node-<id>.flash (kept across "
	        "runs)\n"
	        "  --duration S         run S seconds, then exit (default: until SIGTERM)\n"
	        "  --loss P --dup P --reorder P --delay MS   link impairment, each direction\n"
	        "  --fault KIND         reboot-loop[=MS] | slow-inference[=MS] | "
	        "crash-on-model=SHA256PREFIX\n"
	        "  --fault-nodes IDS    comma-separated node ids the faults apply to (default: "
	        "all)\n"
	        "  --rto MS --rto-max MS  retransmit timeout defaults (1000, 60000)\n"
	        "  --flash-kib N        flash per node (default 1024)\n"
	        "  --ramp MS            spread node boots over MS (default: count/10)\n"
	        "  --sensor-file FILE   replay raw input tensors from FILE instead of synthetic "
	        "data\n"
	        "  --dump FILE          at exit, write each node's unacked seqs to FILE\n"
	        "  --stats              at exit, print RAM and traffic figures as JSON\n"
	        "  --log-level N        agent log level to stderr (3 err .. 7 debug; default 4)\n"
	        "  --write-model FILE   write the generated built-in model to FILE and exit\n");
}

/* Writes the generated built-in model to path (for tests and `--model`). */
static int
write_model(const char *path)
{
	uint8_t *bytes = NULL;
	size_t len;
	FILE *fp;
	int r = -1;

	if (builtin_model_build(&bytes, &len) < 0)
		return -1;
	fp = fopen(path, "we");
	if (fp != NULL) {
		r = fwrite(bytes, 1, len, fp) == len ? 0 : -1;
		if (fclose(fp) != 0)
			r = -1;
	}
	if (r < 0)
		fprintf(stderr, "tinyfleet-node: cannot write '%s'\n", path);
	free(bytes);
	return r;
}

static int
parse_double(const char *s, double lo, double hi, double *ret)
{
	char *e;
	double v;

	errno = 0;
	v = strtod(s, &e);
	if (errno || *e != '\0' || e == s || v < lo || v > hi)
		return -1;
	*ret = v;
	return 0;
}

static int
parse_u32(const char *s, uint32_t *ret)
{
	double v;

	if (parse_double(s, 0, 4294967295.0, &v) < 0 || v != (double)(uint32_t)v)
		return -1;
	*ret = (uint32_t)v;
	return 0;
}

static int
parse_fault(struct sim_opts *o, const char *k)
{
	const char *eq = strchr(k, '=');
	size_t n = eq ? (size_t)(eq - k) : strlen(k);

	if (n == 11 && strncmp(k, "reboot-loop", n) == 0) {
		o->reboot_loop_ms = 5000;
		return eq ? parse_u32(eq + 1, &o->reboot_loop_ms) : 0;
	}
	if (n == 14 && strncmp(k, "slow-inference", n) == 0) {
		o->slow_ms = 500;
		return eq ? parse_u32(eq + 1, &o->slow_ms) : 0;
	}
	if (n == 14 && strncmp(k, "crash-on-model", n) == 0 && eq && eq[1] != '\0' &&
	    strlen(eq + 1) < sizeof(o->crash_prefix) &&
	    strspn(eq + 1, "0123456789abcdef") == strlen(eq + 1)) {
		strcpy(o->crash_prefix, eq + 1);
		return 0;
	}
	return -1;
}

static int
parse_opts(int argc, char **argv, struct sim_opts *o)
{
	enum {
		O_GATEWAY = 256,
		O_SERIAL,
		O_PROVISION,
		O_COUNT,
		O_MODEL,
		O_PERIOD,
		O_HEALTH,
		O_SEED,
		O_STATE,
		O_DURATION,
		O_LOSS,
		O_DUP,
		O_REORDER,
		O_DELAY,
		O_FAULT,
		O_FAULT_NODES,
		O_RTO,
		O_RTO_MAX,
		O_FLASH,
		O_RAMP,
		O_SENSOR,
		O_DUMP,
		O_STATS,
		O_LOG,
		O_HELP,
		O_VERSION,
		O_WRITE_MODEL
	};
	static const struct option lo[] = {{"gateway", 1, 0, O_GATEWAY},
	                                   {"serial", 1, 0, O_SERIAL},
	                                   {"provision", 1, 0, O_PROVISION},
	                                   {"count", 1, 0, O_COUNT},
	                                   {"model", 1, 0, O_MODEL},
	                                   {"period", 1, 0, O_PERIOD},
	                                   {"health-period", 1, 0, O_HEALTH},
	                                   {"seed", 1, 0, O_SEED},
	                                   {"state-dir", 1, 0, O_STATE},
	                                   {"duration", 1, 0, O_DURATION},
	                                   {"loss", 1, 0, O_LOSS},
	                                   {"dup", 1, 0, O_DUP},
	                                   {"reorder", 1, 0, O_REORDER},
	                                   {"delay", 1, 0, O_DELAY},
	                                   {"fault", 1, 0, O_FAULT},
	                                   {"fault-nodes", 1, 0, O_FAULT_NODES},
	                                   {"rto", 1, 0, O_RTO},
	                                   {"rto-max", 1, 0, O_RTO_MAX},
	                                   {"flash-kib", 1, 0, O_FLASH},
	                                   {"ramp", 1, 0, O_RAMP},
	                                   {"sensor-file", 1, 0, O_SENSOR},
	                                   {"dump", 1, 0, O_DUMP},
	                                   {"stats", 0, 0, O_STATS},
	                                   {"log-level", 1, 0, O_LOG},
	                                   {"help", 0, 0, O_HELP},
	                                   {"version", 0, 0, O_VERSION},
	                                   {"write-model", 1, 0, O_WRITE_MODEL},
	                                   {0, 0, 0, 0}};
	uint32_t u;
	double d;
	int c, bad;

	memset(o, 0, sizeof(*o));
	o->period_ms = 1000;
	o->health_ms = 60000;
	o->seed = 1;
	o->flash_kib = 1024;
	o->ramp_ms = UINT32_MAX;
	o->log_level = 4;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		bad = 0;
		switch (c) {
		case O_GATEWAY:
			o->gateway = optarg;
			break;
		case O_SERIAL:
			o->serial = optarg;
			break;
		case O_PROVISION:
			o->provision = optarg;
			break;
		case O_COUNT:
			bad = parse_u32(optarg, &o->count) < 0 || o->count > 1000000;
			break;
		case O_MODEL:
			o->model = optarg;
			break;
		case O_PERIOD:
			bad = parse_u32(optarg, &o->period_ms) < 0 || o->period_ms == 0;
			break;
		case O_HEALTH:
			bad = parse_u32(optarg, &o->health_ms) < 0 || o->health_ms == 0;
			break;
		case O_SEED:
			bad = parse_double(optarg, 0, 1.8e19, &d) < 0;
			o->seed = (uint64_t)d;
			break;
		case O_STATE:
			o->state_dir = optarg;
			break;
		case O_DURATION:
			bad = parse_double(optarg, 0, 1e9, &o->duration_s) < 0;
			break;
		case O_LOSS:
			bad = parse_double(optarg, 0, 1, &o->loss) < 0;
			break;
		case O_DUP:
			bad = parse_double(optarg, 0, 1, &o->dup) < 0;
			break;
		case O_REORDER:
			bad = parse_double(optarg, 0, 1, &o->reorder) < 0;
			break;
		case O_DELAY:
			bad = parse_u32(optarg, &o->delay_ms) < 0 || o->delay_ms > 600000;
			break;
		case O_FAULT:
			bad = parse_fault(o, optarg) < 0;
			break;
		case O_FAULT_NODES:
			o->fault_nodes = optarg;
			break;
		case O_RTO:
			bad = parse_u32(optarg, &o->rto_ms) < 0;
			break;
		case O_RTO_MAX:
			bad = parse_u32(optarg, &o->rto_max_ms) < 0;
			break;
		case O_FLASH:
			bad = parse_u32(optarg, &o->flash_kib) < 0 || o->flash_kib < 64 ||
			      o->flash_kib > 65536;
			break;
		case O_RAMP:
			bad = parse_u32(optarg, &u) < 0;
			o->ramp_ms = u;
			break;
		case O_SENSOR:
			o->sensor_file = optarg;
			break;
		case O_DUMP:
			o->dump = optarg;
			break;
		case O_STATS:
			o->stats = 1;
			break;
		case O_LOG:
			bad = parse_u32(optarg, &u) < 0 || u > 7;
			o->log_level = (int)u;
			break;
		case O_HELP:
			usage(stdout);
			exit(0);
		case O_VERSION:
			printf("tinyfleet-node %s\n", TF_VERSION);
			exit(0);
		case O_WRITE_MODEL:
			exit(write_model(optarg) < 0 ? 1 : 0);
		default:
			usage(stderr);
			return -1;
		}
		if (bad) {
			fprintf(stderr, "tinyfleet-node: bad value '%s' for --%s\n", optarg,
			        lo[c - O_GATEWAY].name);
			return -1;
		}
	}
	if (optind != argc || o->provision == NULL) {
		usage(stderr);
		return -1;
	}
	return 0;
}

/* ---- setup ---- */

static int
load_file(const char *path, uint8_t **ret, size_t *ret_len)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t off = 0;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size > (64 << 20)) {
		r = -EINVAL;
		goto out;
	}
	buf = aligned_alloc(16, ((size_t)st.st_size + 15) / 16 * 16);
	if (buf == NULL) {
		r = -ENOMEM;
		goto out;
	}
	while (off < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + off, (size_t)st.st_size - off);
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			goto out;
		}
		off += (size_t)n;
	}
	*ret = buf;
	*ret_len = off;
	buf = NULL; /* transferred */
out:
	free(buf);
	close(fd);
	return r;
}

static int
setup_model(struct sim *s)
{
	char why[NN_MSG_MAX];
	int r;

	if (s->o.model != NULL) {
		r = load_file(s->o.model, &s->model_bytes, &s->model_len);
		if (r < 0) {
			fprintf(stderr, "tinyfleet-node: cannot read model '%s': %s\n", s->o.model,
			        strerror(-r));
			return -1;
		}
	} else if (builtin_model_build(&s->model_bytes, &s->model_len) < 0) {
		fprintf(stderr, "tinyfleet-node: cannot build the built-in model\n");
		return -1;
	}
	agent_sha256(s->model_bytes, s->model_len, s->model_sha);
	why[0] = '\0';
	r = nn_model_open(&s->model, s->model_bytes, s->model_len, why, sizeof(why));
	if (r < 0) {
		/* The nodes still run and report why in ModelStatus and Health. */
		fprintf(stderr,
		        "<4>tinyfleet-node: the core refuses the model: %s (%s); nodes run "
		        "without one\n",
		        nn_strerror(r), why);
		return 0;
	}
	s->model_ok = 1;
	s->arena_need = (nn_model_arena_size(&s->model) + 2 * NN_ARENA_ALIGN) & ~(size_t)15;
	return 0;
}

static int
cmp_by_id(const void *a, const void *b, void *arg)
{
	const struct sim *s = arg;
	uint32_t x = s->nodes[*(const uint32_t *)a].a.node_id;
	uint32_t y = s->nodes[*(const uint32_t *)b].a.node_id;

	return x < y ? -1 : x > y;
}

static int
in_list(const char *list, uint32_t id)
{
	const char *p = list;

	while (p != NULL && *p != '\0') {
		char *e;
		unsigned long v = strtoul(p, &e, 10);
		if (e != p && v == id)
			return 1;
		p = strchr(p, ',');
		if (p != NULL)
			p++;
	}
	return 0;
}

static int
setup_nodes(struct sim *s)
{
	struct provision_node *pv = NULL;
	struct rlimit rl;
	int n, line, budget, r = -1;
	uint32_t i;

	n = provision_load(s->o.provision, s->o.count ? s->o.count : 1000000, &pv, &line);
	if (n < 0) {
		fprintf(stderr, "tinyfleet-node: '%s'%s%.0d: %s\n", s->o.provision,
		        line ? " line " : "", line, strerror(-n));
		return -1;
	}
	if (n == 0 || (s->o.count && (uint32_t)n < s->o.count)) {
		fprintf(stderr, "tinyfleet-node: '%s' holds %d nodes, %u wanted\n", s->o.provision,
		        n, s->o.count);
		goto out;
	}
	s->n = (uint32_t)n;
	if (s->o.gateway == NULL && s->o.serial == NULL) {
		static char gw[128]; /* lives as long as the process, like argv */
		snprintf(gw, sizeof(gw), "%s", pv[0].gateway);
		s->o.gateway = gw;
	}
	s->nodes = calloc(s->n, sizeof(*s->nodes));
	s->heap = calloc(s->n, sizeof(*s->heap));
	s->by_id = calloc(s->n, sizeof(*s->by_id));
	s->arenas = s->arena_need ? aligned_alloc(64, (s->arena_need * s->n + 63) / 64 * 64) : NULL;
	if (s->nodes == NULL || s->heap == NULL || s->by_id == NULL ||
	    (s->arena_need && s->arenas == NULL)) {
		fprintf(stderr, "tinyfleet-node: out of memory for %u nodes\n", s->n);
		goto out;
	}
	if (s->o.state_dir == NULL) {
		snprintf(s->tmp_dir, sizeof(s->tmp_dir), "%s/tinyfleet-node.XXXXXX",
		         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (mkdtemp(s->tmp_dir) == NULL) {
			fprintf(stderr, "tinyfleet-node: mkdtemp: %s\n", strerror(errno));
			s->tmp_dir[0] = '\0';
			goto out;
		}
	}
	budget = 1024;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > 128)
			budget = (int)(rl.rlim_cur - 64 > 100000 ? 100000 : rl.rlim_cur - 64);
	}
	if (pflash_pool_init(&s->pool, s->o.state_dir ? s->o.state_dir : s->tmp_dir, budget) < 0) {
		fprintf(stderr, "tinyfleet-node: state dir '%s' unusable\n", s->o.state_dir);
		goto out;
	}
	for (i = 0; i < s->n; i++) {
		struct pnode *pn = &s->nodes[i];
		pn->sim = s;
		pn->idx = i;
		pn->heap_pos = i;
		s->heap[i] = i;
		s->by_id[i] = i;
		pn->a.node_id = pv[i].node_id;
		memcpy(pn->a.key, pv[i].key, 32);
		pn->rng = s->o.seed ^ ((uint64_t)pv[i].node_id * 0x9e3779b97f4a7c15ull);
		pn->faulty = (s->o.reboot_loop_ms || s->o.slow_ms || s->o.crash_prefix[0]) &&
		             (s->o.fault_nodes == NULL || in_list(s->o.fault_nodes, pn->a.node_id));
		if (pflash_open(&pn->flash, &s->pool, pv[i].node_id, s->o.flash_kib * 1024u, 4096) <
		    0) {
			fprintf(stderr, "tinyfleet-node: flash of node %u: %s\n", pv[i].node_id,
			        strerror(errno));
			goto out;
		}
		pflash_close(&pn->flash); /* opened again on first use */
	}
	qsort_r(s->by_id, s->n, sizeof(*s->by_id), cmp_by_id, s);
	for (i = 1; i < s->n; i++)
		if (s->nodes[s->by_id[i]].a.node_id == s->nodes[s->by_id[i - 1]].a.node_id) {
			fprintf(stderr, "tinyfleet-node: node id %u appears twice\n",
			        s->nodes[s->by_id[i]].a.node_id);
			goto out;
		}
	r = 0;
out:
	free(pv);
	return r;
}

/* ---- reports ---- */

static long
rss_bytes(void)
{
	char line[256];
	long kb = -1;
	FILE *fp = fopen("/proc/self/status", "re");

	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(fp);
	return kb < 0 ? -1 : kb * 1024;
}

static void
write_dump(struct sim *s)
{
	FILE *fp = fopen(s->o.dump, "we");
	uint32_t i, k;

	if (fp == NULL) {
		fprintf(stderr, "tinyfleet-node: --dump '%s': %s\n", s->o.dump, strerror(errno));
		return;
	}
	/* node_id next_seq drops_total depth seq... */
	for (i = 0; i < s->n; i++) {
		const struct agent *a = &s->nodes[i].a;
		fprintf(fp, "%u %u %u %u", a->node_id, a->ob.next_seq, a->st.drops_total,
		        a->ob.count);
		for (k = 0; k < AGENT_OUTBOX_CAP; k++)
			if (a->ob.e[k].seq != 0)
				fprintf(fp, " %u", a->ob.e[k].seq);
		fputc('\n', fp);
	}
	fclose(fp);
}

static void
print_stats(struct sim *s, long rss_before, long rss_after, double secs, double cpu_s)
{
	uint64_t inf = 0, sent = 0, rej = 0, unk = 0, drops = 0, retx = 0, depth = 0, errs = 0;
	uint32_t i;
	double per_node = s->n ? (double)(rss_after - rss_before) / s->n : 0;

	for (i = 0; i < s->n; i++) {
		const struct agent *a = &s->nodes[i].a;
		inf += a->stats.inferences;
		sent += a->stats.frames_sent;
		rej += a->stats.frames_rejected;
		unk += a->stats.unknown_msgs;
		drops += a->ob.drops;
		retx += a->ob.retransmits;
		depth += a->ob.count;
		errs += a->stats.infer_errors;
	}
	printf("{\"nodes\": %u, \"agent_bytes\": %zu, \"outbox_bytes\": %zu, \"port_node_bytes\": "
	       "%zu, \"arena_bytes\": %zu, \"model_bytes_shared\": %zu, \"model_ok\": %d,\n"
	       " \"static_bytes_per_node\": %zu, \"rss_bytes_per_node\": %.0f, "
	       "\"rss_bytes_per_node_beyond_arena\": %.0f,\n"
	       " \"seconds\": %.3f, \"cpu_seconds\": %.3f, \"inferences\": %llu, \"frames_sent\": "
	       "%llu, \"link_sent\": %llu, \"link_received\": %llu,\n"
	       " \"lost\": %llu, \"duplicated\": %llu, \"reordered\": %llu, \"retransmits\": %llu, "
	       "\"outbox_depth\": %llu, \"outbox_drops\": %llu,\n"
	       " \"frames_rejected\": %llu, \"unknown_msgs\": %llu, \"inference_errors\": %llu, "
	       "\"reboots\": %llu, \"send_errors\": %llu,\n"
	       " \"steady_cpu_seconds\": %.3f, \"steady_frames\": %llu, "
	       "\"steady_cpu_ms_per_1000_frames\": %.3f}\n",
	       s->n, sizeof(struct agent), sizeof(struct agent_outbox), sizeof(struct pnode),
	       s->arena_need, s->model_len, s->model_ok,
	       sizeof(struct pnode) + 2 * sizeof(uint32_t) + s->arena_need, per_node,
	       per_node - (double)s->arena_need, secs, cpu_s, (unsigned long long)inf,
	       (unsigned long long)sent, (unsigned long long)s->link.st.sent,
	       (unsigned long long)s->link.st.received, (unsigned long long)s->link.st.lost,
	       (unsigned long long)s->link.st.duplicated, (unsigned long long)s->link.st.reordered,
	       (unsigned long long)retx, (unsigned long long)depth, (unsigned long long)drops,
	       (unsigned long long)rej, (unsigned long long)unk, (unsigned long long)errs,
	       (unsigned long long)s->reboots, (unsigned long long)s->link.st.send_errors,
	       s->steady_cpu, (unsigned long long)s->steady_frames,
	       s->steady_frames ? 1000.0 * s->steady_cpu / (double)s->steady_frames * 1000.0 : 0.0);
	fflush(stdout);
}

static double
cpu_seconds(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* ---- the loop ---- */

/* Steps every node that is due, rebooting those that asked for it. */
static void
run_due(struct sim *s, uint64_t now)
{
	uint32_t budget = 20000;

	while (s->heap_n > 0 && budget-- > 0) {
		struct pnode *pn = &s->nodes[s->heap[0]];
		uint64_t wake;

		if (pn->wake_ms > now)
			break;
		if (pn->boots == 0 || pn->reset_pending ||
		    (pn->reboot_at_ms != 0 && now >= pn->reboot_at_ms)) {
			enum port_reset_reason why =
			        pn->boots == 0
			                ? PORT_RESET_POWER_ON
			                : (pn->reset_pending ? (enum port_reset_reason)pn->reset_why
			                                     : PORT_RESET_WATCHDOG);
			if (pnode_boot(s, pn, why) < 0) {
				pnode_schedule(s, pn, now + 1000);
				continue;
			}
		}
		if (!pn->booted) {
			pnode_schedule(s, pn, now + 1000);
			continue;
		}
		wake = agent_step(&pn->a, now);
		s->steps++;
		if (pn->reset_pending)
			wake = now + 10; /* the "reset" takes a moment */
		pnode_schedule(s, pn, wake);
	}
}

static double cpu_seconds(void);

static uint64_t
frames_sent(const struct sim *s)
{
	uint64_t n = 0;
	uint32_t i;

	for (i = 0; i < s->n; i++)
		n += s->nodes[i].a.stats.frames_sent;
	return n;
}

static int
run(struct sim *s)
{
	uint64_t warm;
	struct epoll_event ev[8];
	uint64_t end = UINT64_MAX, now, next, qnext, reopen_at = 0;
	uint32_t i;
	int quit = 0;

	s->start_ms = sim_now_ms();
	if (s->o.duration_s > 0)
		end = s->start_ms + (uint64_t)(s->o.duration_s * 1000.0);
	if (s->o.ramp_ms == UINT32_MAX)
		s->o.ramp_ms = s->n / 10;
	for (i = 0; i < s->n; i++)
		s->nodes[i].wake_ms = s->start_ms + (uint64_t)s->o.ramp_ms * i / s->n;
	s->heap_n = s->n; /* wake times ascend with the index: already a heap */
	/* Steady state starts a second after the last node booted. */
	warm = s->start_ms + s->o.ramp_ms + 1000;
	while (!quit) {
		int k, n;
		now = sim_now_ms();
		if (now >= end)
			break;
		if (warm != 0 && now >= warm) {
			s->warm_cpu = cpu_seconds();
			s->warm_frames = frames_sent(s);
			s->warm_ms = now;
			warm = 0;
		}
		qnext = link_run_queue(s, now);
		run_due(s, now);
		link_flush(s);
		now = sim_now_ms();
		next = end;
		if (s->heap_n > 0 && s->nodes[s->heap[0]].wake_ms < next)
			next = s->nodes[s->heap[0]].wake_ms;
		if (qnext < next)
			next = qnext;
		if ((s->link.out_len > 0 || (s->link.serial && s->link.fd < 0)) && now + 5 < next)
			next = now + (s->link.fd < 0 ? 100 : 5);
		n = epoll_wait(s->epfd, ev, 8,
		               next <= now ? 0 : (int)(next - now > 1000 ? 1000 : next - now));
		for (k = 0; k < n; k++) {
			if (ev[k].data.u32 == 1 && s->link.serial &&
			    (ev[k].events & (EPOLLHUP | EPOLLERR)) && !(ev[k].events & EPOLLIN))
				link_lost(s);
			else if (ev[k].data.u32 == 1)
				link_read(s);
			else if (ev[k].data.u32 == 2)
				quit = 1;
		}
		/* A lost serial device is retried twice a second. */
		if (s->link.serial && s->link.fd < 0 && sim_now_ms() >= reopen_at) {
			(void)link_reopen(s);
			reopen_at = sim_now_ms() + 500;
		}
	}
	if (s->warm_ms != 0) {
		s->steady_cpu = cpu_seconds() - s->warm_cpu;
		s->steady_frames = frames_sent(s) - s->warm_frames;
	}
	return 0;
}

/* ---- teardown ---- */

static void
teardown(struct sim *s)
{
	struct model_cache *c, *nx;
	uint32_t i;
	char path[600];

	link_close(s);
	for (i = 0; s->nodes != NULL && i < s->n; i++) {
		pflash_close(&s->nodes[i].flash);
		if (s->tmp_dir[0] &&
		    pflash_path(&s->pool, s->nodes[i].a.node_id, path, sizeof(path)) == 0)
			(void)unlink(path);
	}
	pflash_pool_done(&s->pool);
	if (s->tmp_dir[0])
		(void)rmdir(s->tmp_dir);
	for (c = s->model_cache; c != NULL; c = nx) {
		nx = c->next;
		free(c->bytes);
		free(c);
	}
	if (s->replay.data != NULL)
		munmap((void *)s->replay.data, s->replay.len);
	free(s->nodes);
	free(s->heap);
	free(s->by_id);
	free(s->arenas);
	free(s->model_bytes);
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->sigfd >= 0)
		close(s->sigfd);
}

static int
setup_replay(struct sim *s)
{
	struct stat st;
	void *p;
	int fd;

	if (s->o.sensor_file == NULL)
		return 0;
	fd = open(s->o.sensor_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size <= 0) {
		fprintf(stderr, "tinyfleet-node: --sensor-file '%s' unusable\n", s->o.sensor_file);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	s->replay.data = p;
	s->replay.len = (size_t)st.st_size;
	return 0;
}

int
main(int argc, char **argv)
{
	struct sim s;
	struct epoll_event ev;
	sigset_t mask;
	long rss0, rss1;
	double cpu0, t0;
	uint32_t i;
	int r = 1;

	memset(&s, 0, sizeof(s));
	s.epfd = -1;
	s.sigfd = -1;
	s.link.fd = -1;
	if (parse_opts(argc, argv, &s.o) < 0)
		return 2;
	s.rng = s.o.seed ^ 0x5eed5eed5eedull;
	rss0 = rss_bytes();
	if (setup_model(&s) < 0 || setup_replay(&s) < 0 || setup_nodes(&s) < 0)
		goto out;
	s.epfd = epoll_create1(EPOLL_CLOEXEC);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	s.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = 2;
	if (s.epfd < 0 || s.sigfd < 0 || epoll_ctl(s.epfd, EPOLL_CTL_ADD, s.sigfd, &ev) < 0) {
		fprintf(stderr, "tinyfleet-node: epoll/signalfd: %s\n", strerror(errno));
		goto out;
	}
	r = link_open(&s);
	if (r < 0) {
		fprintf(stderr, "tinyfleet-node: link '%s': %s\n",
		        s.o.serial ? s.o.serial : s.o.gateway, strerror(-r));
		r = 1;
		goto out;
	}
	fprintf(stderr, "<6>tinyfleet-node: %u nodes, model %s (%zu bytes, arena %zu), %s %s\n",
	        s.n, s.model_ok ? "ok" : "refused", s.model_len, s.arena_need,
	        s.o.serial ? "serial" : "udp", s.o.serial ? s.o.serial : s.o.gateway);
	cpu0 = cpu_seconds();
	t0 = (double)sim_now_us() / 1e6;
	run(&s);
	rss1 = rss_bytes();
	/* Acks not yet in flash would only cause resends after a restart; write them now. */
	for (i = 0; i < s.n; i++)
		if (s.nodes[i].booted)
			(void)agent_outbox_flush(&s.nodes[i].a.ob);
	if (s.o.dump != NULL)
		write_dump(&s);
	if (s.o.stats)
		print_stats(&s, rss0, rss1, (double)sim_now_us() / 1e6 - t0, cpu_seconds() - cpu0);
	r = 0;
out:
	teardown(&s);
	return r;
}
