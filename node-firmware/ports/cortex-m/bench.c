/*
 * bench.c: the instruction-count bench image (bench-<model>.elf), one per
 * model. It opens the model embedded in flash (model.S), binds it to an arena
 * in RAM, writes input A of ../shared/oracle (section 3) into the input tensor
 * and counts the timer ticks around one nn_invoke(). Under QEMU with
 * -icount shift=0 one tick of the 25 MHz timer is exactly 40 executed
 * instructions, which is how the oracle measured TFLM (section 2.1b).
 *
 * It prints one line over UART0 and exits through semihosting:
 *   bench model_bytes M arena A ticks T counter timer|dwt out HEX
 * then, from a second invoke with the profiler on (the callback's own cost
 * stays out of the figure above), one line per operator with the first 16 hex
 * digits of the SHA-256 of its output tensor, to compare with the oracle's
 * per-layer hashes (section 3.2): bit-exactness on the M4 for every layer.
 *   op INDEX CODE ticks T sha HEX16
 * or `bench error CODE MESSAGE` (exit code 2) when the model does not open or
 * bind (unsupported op, arena larger than the part's RAM).
 */
#include <string.h>

#include "agent/hash.h"
#include "core/nn.h"
#include "ports/cortex-m/board.h"

#ifndef CM_BENCH_ARENA
#define CM_BENCH_ARENA (236u * 1024u) /* RAM less .data/.bss of the image and 8 KiB stack */
#endif

extern const uint8_t cm_model[], cm_model_end[];

static uint8_t arena[CM_BENCH_ARENA] __attribute__((aligned(NN_ARENA_ALIGN)));

int main(void);

static uint32_t
prof_clock(void *arg)
{
	(void)arg;
	return board_cycles();
}

static void
prof_op(void *arg, int op, int32_t code, const struct nn_tensor *output, uint32_t ticks)
{
	uint8_t sha[32];

	(void)arg;
	agent_sha256(output->data, output->bytes, sha);
	uart_puts("op ");
	uart_put_u64((uint64_t)op);
	uart_puts(" ");
	uart_put_u64((uint64_t)code);
	uart_puts(" ticks ");
	uart_put_u64(ticks);
	uart_puts(" sha ");
	uart_put_hex(sha, 8);
	uart_puts("\n");
}

static void
write_input_a(const struct nn_tensor *in)
{
	uint8_t *p = in->data;
	size_t i;

	for (i = 0; i < in->bytes; i++)
		p[i] = (uint8_t)(((uint32_t)i * 1103515245u + 12345u) >> 16);
}

static void
fail(int r, const char *why)
{
	uart_puts("bench error ");
	uart_puts(nn_strerror(r));
	uart_puts(" ");
	uart_puts(why);
	uart_puts("\n");
	board_exit(2);
}

int
main(void)
{
	struct nn_model m;
	struct nn_interp *ip;
	struct nn_tensor in, out;
	char why[NN_MSG_MAX];
	size_t len = (size_t)(cm_model_end - cm_model), need;
	uint32_t t0, t1;
	int r;

	board_init();
	why[0] = '\0';
	r = nn_model_open(&m, cm_model, len, why, sizeof(why));
	if (r != NN_OK)
		fail(r, why);
	need = nn_model_arena_size(&m);
	if (need > sizeof(arena))
		fail(NN_ENOMEM, "arena larger than the part's RAM");
	r = nn_interp_bind(&m, arena, need, &ip, why, sizeof(why));
	if (r != NN_OK)
		fail(r, why);
	if (nn_interp_input(ip, 0, &in) != NN_OK || nn_interp_output(ip, 0, &out) != NN_OK)
		fail(NN_EINVAL, "no input or output tensor");
	write_input_a(&in);

	t0 = board_cycles();
	r = nn_invoke(ip);
	t1 = board_cycles();
	if (r != NN_OK)
		fail(r, "invoke");

	uart_puts("bench model_bytes ");
	uart_put_u64(len);
	uart_puts(" arena ");
	uart_put_u64(need);
	uart_puts(" ticks ");
	uart_put_u64(t1 - t0);
	uart_puts(board_cycles_are_dwt() ? " counter dwt" : " counter timer");
	uart_puts(" out ");
	uart_put_hex(out.data, out.bytes);
	uart_puts("\n");

	write_input_a(&in);
	nn_interp_set_profiler(ip, prof_op, prof_clock, NULL);
	(void)nn_invoke(ip);
	board_exit(0);
}
