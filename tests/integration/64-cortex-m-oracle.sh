#!/usr/bin/env bash
# 64-cortex-m-oracle: the core is bit-exact on the Cortex-M4 too. Every model
# of ../shared the core runs is built into a bench image (model in flash, the
# part's memory), run once in QEMU on the oracle's input A, and its output
# bytes and the SHA-256 of every operator's output tensor must equal the
# oracle's (shared/oracle/README.md sections 3 and 3.2) - with the core's
# Cortex-M4 code paths (DSP extension, hard float) that no host test runs.
# SKIPs without ../shared.
. "$TF_ROOT/tests/integration/lib.sh"

tf_need_shared
command -v qemu-system-arm >/dev/null || tf_skip "qemu-system-arm is not installed"
b=${TF_BUILD#"$TF_ROOT"/}
out=$(cd "$TF_ROOT" && B=$b CM_BENCH_RUNS=1 CM_BENCH_JSON=$TF_WORK/cortex-m.json node-firmware/ports/cortex-m/tools/cm-bench 2>&1)
rc=$?
echo "$out"
[ "$rc" -eq 0 ] || tf_fail "cm-bench exited $rc"
n=$(grep -c ' ok, \([0-9]*\)/\1 layers$' <<<"$out")
[ "$n" -ge 8 ] || tf_fail "only $n models bit-exact on every layer, 8 expected"
! grep -q MISMATCH <<<"$out" || tf_fail "a model differs from the oracle on the M4"
# The core's arena on the M4 (it plans conv scratch the host build does not)
# must stay within TFLM's own Cortex-M4 arena for the same model.
a=$(sed -n 's/^arena at or below TFLM.s on the Cortex-M4: \([0-9]*\) of \([0-9]*\) models$/\1 \2/p' <<<"$out")
[ -n "$a" ] && [ "${a% *}" = "${a#* }" ] || tf_fail "arena above TFLM's Cortex-M4 arena: ${a:-no figure}"
echo "OK: $n models bit-exact on every layer on the Cortex-M4, arena within TFLM's on ${a% *}"
