#!/usr/bin/env bash
# 63-cortex-m-provision: one node.elf build serves many nodes. cm-provision
# patches id, key and periods into the .provision page of a copy (and nothing
# else), takes them from the daemon's enrollment file or the command line, and
# refuses bad input with exit 1 and unreadable files with exit 2. The firmware
# refuses to run unprovisioned or with a damaged record: it halts before
# sending a single byte (it checks the record before its first UART byte) and
# says why on the debug console.
. "$TF_ROOT/tests/integration/lib.sh"

command -v qemu-system-arm >/dev/null || tf_skip "qemu-system-arm is not installed"
ELF="$TF_BUILD/cm4/node.elf"
PROV="$TF_BUILD/cm-provision"
[ -f "$ELF" ] && [ -x "$PROV" ] || tf_fail "node.elf or cm-provision missing (make firmware)"
KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f

section() { arm-none-eabi-objcopy -O binary --only-section=.provision "$1" "$2"; }
expect_rc() {
	local want=$1; shift
	"$@" >/dev/null 2>"$TF_WORK/err" && rc=0 || rc=$?
	[ "$rc" = "$want" ] || tf_fail "'$*' exited $rc, want $want: $(cat "$TF_WORK/err")"
}

tf_log "patch from the command line: only the record changes"
"$PROV" -i 250 -H 5000 "$ELF" "$TF_WORK/a.elf" 4242 "$KEY" >/dev/null || tf_fail "provision"
[ "$(stat -c %a "$TF_WORK/a.elf")" = 600 ] || tf_fail "the provisioned image is not 0600"
section "$TF_WORK/a.elf" "$TF_WORK/a.rec"
python3 - "$TF_WORK/a.rec" "$KEY" <<'PY' || tf_fail "record content"
import struct, sys, zlib
rec = open(sys.argv[1], "rb").read()
magic, ver, node = struct.unpack_from("<III", rec)
key = rec[12:44]
infer, health, crc = struct.unpack_from("<III", rec, 44)
assert magic == 0x56505446 and ver == 1, (hex(magic), ver)
assert node == 4242 and key.hex() == sys.argv[2], (node, key.hex())
assert (infer, health) == (250, 5000), (infer, health)
assert crc == zlib.crc32(rec[:52]), "crc"
PY
cmp -l "$ELF" "$TF_WORK/a.elf" | wc -l >"$TF_WORK/ndiff"
[ "$(cat "$TF_WORK/ndiff")" -le 56 ] || tf_fail "$(cat "$TF_WORK/ndiff") bytes differ, more than the record"

tf_log "patch from an enrollment file"
printf '# enrolled\n7,%s,gw:5684,n7\n9,%s,gw:5684,n9\n' "$KEY" "${KEY//0/f}" >"$TF_WORK/prov.txt"
"$PROV" "$ELF" "$TF_WORK/b.elf" --enrolled "$TF_WORK/prov.txt" --node 9 >/dev/null || tf_fail "--enrolled"
section "$TF_WORK/b.elf" "$TF_WORK/b.rec"
python3 -c 'import struct,sys; r=open(sys.argv[1],"rb").read(); assert struct.unpack_from("<I",r,8)[0]==9 and r[12:44].hex()==sys.argv[2]' \
	"$TF_WORK/b.rec" "${KEY//0/f}" || tf_fail "node 9 from the file"

tf_log "bad input is refused"
expect_rc 1 "$PROV" "$ELF" "$TF_WORK/c.elf" 0 "$KEY"
expect_rc 1 "$PROV" "$ELF" "$TF_WORK/c.elf" 5 abc
expect_rc 1 "$PROV" "$ELF" "$TF_WORK/c.elf" 5 "${KEY:0:62}zz"
expect_rc 1 "$PROV" "$ELF" "$TF_WORK/c.elf" --enrolled "$TF_WORK/prov.txt" --node 8
expect_rc 1 "$PROV" "$TF_WORK/prov.txt" "$TF_WORK/c.elf" 5 "$KEY"
expect_rc 1 "$PROV" "$TF_BUILD/cm4/smoke.elf" "$TF_WORK/c.elf" 5 "$KEY"
expect_rc 2 "$PROV" "$TF_WORK/missing.elf" "$TF_WORK/c.elf" 5 "$KEY"
expect_rc 2 "$PROV" "$ELF" "$TF_WORK/c.elf" --enrolled "$TF_WORK/missing.txt"
[ ! -e "$TF_WORK/c.elf" ] || tf_fail "a refused run left an output file"

# run_node ELF PATTERN: boots ELF until its debug console (QEMU's stderr)
# shows PATTERN, then stops it; UART bytes land in uart.bin.
run_node() {
	local pid
	rm -f "$TF_WORK/uart.bin" "$TF_WORK/console.txt"
	timeout 20 qemu-system-arm -M mps2-an386 -display none -monitor none \
		-serial "file:$TF_WORK/uart.bin" -semihosting-config enable=on,target=native \
		-kernel "$1" 2>"$TF_WORK/console.txt" &
	pid=$!
	tf_wait_for 10 grep -q "$2" "$TF_WORK/console.txt" || { kill $pid; tf_fail "console: $(cat "$TF_WORK/console.txt")"; }
	kill $pid; wait $pid 2>/dev/null
}

tf_log "an unprovisioned image halts and says so"
run_node "$ELF" "not provisioned"
[ ! -s "$TF_WORK/uart.bin" ] || tf_fail "the unprovisioned node sent $(stat -c %s "$TF_WORK/uart.bin") bytes"

tf_log "a damaged record halts the node"
cp "$TF_WORK/a.elf" "$TF_WORK/d.elf"
off=$(arm-none-eabi-readelf -S "$TF_WORK/d.elf" | awk '{ for (i = 1; i < NF; i++) if ($i == ".provision") print $(i + 3) }')
[ -n "$off" ] || tf_fail "no .provision section offset"
printf '\x01' | dd of="$TF_WORK/d.elf" bs=1 seek=$((16#$off + 20)) conv=notrunc status=none
run_node "$TF_WORK/d.elf" "provisioning record corrupt"
[ ! -s "$TF_WORK/uart.bin" ] || tf_fail "a node with a damaged record sent bytes"

tf_log "the provisioned image talks"
run_node "$TF_WORK/a.elf" "node 4242: booted"
tf_wait_for 5 test -s "$TF_WORK/uart.bin" || tf_fail "the provisioned node sent nothing"
tf_log "PASS"
