/*
 * tf-json-bench: the cost of the JSON the daemon publishes for each reading
 * (mqtt_json_inference, daemon/mqtt.c), on int8 softmax outputs dequantized
 * as ingest.c does (scale * (raw - zero_point)), 4 labels per reading.
 *
 *   tf-json-bench [-n READINGS] [-r RUNS] [-o FILE.json]
 *
 * Prints the median ns per reading of RUNS runs next to the limit (1000 ns:
 * the JSON may take a tenth of the 10,000 readings/s a gateway core must
 * ingest) and the ratio, and writes {"json_ns_per_reading", "limit_ns",
 * "ratio"} to FILE.json. Under valgrind --tool=callgrind (-n 10000 -r 1) the
 * instruction count per reading is Ir / 10000.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mqtt.h"

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int
main(int argc, char **argv)
{
	const float scale = 1.0f / 256.0f;
	const int zp = -128;
	char json[2048];
	double scores[4];
	int64_t runs[15];
	const char *out = NULL;
	const double limit = 1000.0;
	long n = 200000, r = 5, total = 0;
	int c;

	while ((c = getopt(argc, argv, "n:r:o:")) != -1) {
		if (c == 'n')
			n = atol(optarg);
		else if (c == 'r')
			r = atol(optarg);
		else if (c == 'o')
			out = optarg;
		else
			return 2;
	}
	if (n < 1 || r < 1 || r > 15)
		return 2;
	for (long k = 0; k < r; k++) {
		int64_t t0 = now_ns();

		for (long i = 0; i < n; i++) {
			struct mqtt_inference mi;
			int raw[4] = {(int)(i % 256) - 128, (int)(i * 7 % 256) - 128,
			              (int)(i * 13 % 256) - 128, (int)(i * 29 % 256) - 128};

			for (int s = 0; s < 4; s++)
				scores[s] = (double)scale * ((double)raw[s] - (double)zp);
			memset(&mi, 0, sizeof(mi));
			mi.node_id = (uint32_t)(i % 1000) + 1;
			mi.seq = (uint32_t)i + 1;
			mi.time_ms = 1764000000000 + i;
			mi.node_unix_ms = 1764000000000 + i - 3;
			mi.mono_ms = (uint64_t)i * 1000;
			mi.model_id = 3;
			mi.model_version = 2;
			mi.label = (uint32_t)(i % 4);
			mi.top_label = "anomaly";
			mi.score = scores[mi.label];
			mi.scores = scores;
			mi.n_scores = 4;
			mi.latency_us = 1830;
			total += mqtt_json_inference(json, sizeof(json), &mi);
		}
		runs[k] = (now_ns() - t0) / n;
	}
	qsort(runs, (size_t)r, sizeof(runs[0]), cmp_i64);
	printf("mqtt_json_inference: %lld ns per reading (limit %.0f, ratio %.2f; median of %ld "
	       "runs "
	       "of %ld), %ld bytes of JSON\n",
	       (long long)runs[r / 2], limit, (double)runs[r / 2] / limit, r, n, total / (n * r));
	printf("last: %s\n", json);
	if (out != NULL) {
		FILE *f = fopen(out, "w");

		if (f == NULL) {
			perror(out);
			return 1;
		}
		fprintf(f, "{\"json_ns_per_reading\": %lld, \"limit_ns\": %.0f, \"ratio\": %.3f}\n",
		        (long long)runs[r / 2], limit, (double)runs[r / 2] / limit);
		if (fclose(f) != 0)
			return 1;
	}
	return runs[r / 2] <= limit ? 0 : 1;
}
