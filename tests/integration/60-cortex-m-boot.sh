#!/usr/bin/env bash
# 60-cortex-m-boot: the bare-metal Cortex-M4F image boots in QEMU mps2-an386,
# prints over UART0 as raw bytes (no stdio in the image), SysTick wakes it from
# WFI, its clock (the 25 MHz dual timer) runs, the FPU is on, a starved
# watchdog's NMI records the reason in no-init RAM and resets the core (the
# second boot reads it back), the flash HAL keeps the NOR rules and its
# contents across a software reset (selftest.elf), and semihosting's extended exit ends QEMU
# with the image's exit code.
. "$TF_ROOT/tests/integration/lib.sh"

command -v qemu-system-arm >/dev/null || tf_skip "qemu-system-arm is not installed"
elf="$TF_BUILD/cm4/smoke.elf"
[ -f "$elf" ] || tf_fail "$elf is missing (make B=... firmware)"

tf_log "boot the smoke image"
rc=0
timeout 20 qemu-system-arm -M mps2-an386 -display none -monitor none \
	-serial "file:$TF_WORK/uart.txt" \
	-semihosting-config enable=on,target=native -kernel "$elf" || rc=$?
cat "$TF_WORK/uart.txt"
[ "$rc" -eq 0 ] || tf_fail "QEMU exit code $rc (semihosting exit 0 expected)"
grep -q '^tinyfleet cortex-m smoke: boot ok$' "$TF_WORK/uart.txt" || tf_fail "no boot banner"
grep -q '^smoke: done$' "$TF_WORK/uart.txt" || tf_fail "no end line"
grep -q '^smoke: watchdog reset ok, no-init RAM kept$' "$TF_WORK/uart.txt" ||
	tf_fail "no watchdog reset with the reason kept"

# elapsed_us E counter timer C systicks S fpu 3 stack_free F: C / E must be 25 ticks/us.
read -r us ticks systicks fpu < <(awk '/^elapsed_us/ { print $2, $5, $7, $9 }' "$TF_WORK/uart.txt")
[ "$fpu" = 3 ] || tf_fail "FPU arithmetic gave '$fpu'"
[ "$systicks" -ge 1 ] || tf_fail "no SysTick interrupt woke the idle loop"
[ "$us" -ge 30000 ] || tf_fail "3 SysTick periods took only $us us"
ratio=$(( ticks / us ))
[ "$ratio" -ge 24 ] && [ "$ratio" -le 26 ] || tf_fail "timer runs at $ratio ticks/us, 25 expected"

tf_log "the flash HAL's NOR rules on the target (selftest.elf)"
rc=0
timeout 20 qemu-system-arm -M mps2-an386 -display none -monitor none \
	-serial "file:$TF_WORK/selftest.txt" \
	-semihosting-config enable=on,target=native -kernel "$TF_BUILD/cm4/selftest.elf" || rc=$?
cat "$TF_WORK/selftest.txt"
[ "$rc" -eq 0 ] || tf_fail "selftest exit code $rc (= failures)"
grep -q '^selftest: after reset$' "$TF_WORK/selftest.txt" || tf_fail "selftest never reached its second boot"
grep -q '^selftest: 0 failures$' "$TF_WORK/selftest.txt" || tf_fail "selftest failures"
echo "OK: boot, UART, SysTick, timer ($ratio ticks/us), FPU, watchdog reset, semihosting exit, flash HAL"
