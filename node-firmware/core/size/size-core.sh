#!/usr/bin/env bash
# size-core.sh B: prints the Cortex-M4 .text the core contributes to a
# --gc-sections link of size/probe.c, per op set, beside TFLM's figure for the
# same op set when ../shared/oracle/README.md is present (section 2.2, parsed
# here, never copied). .rodata is listed apart, as TFLM's figures do.
set -u
B=$1
shared=${TF_SHARED:-../shared}
readme="$shared/oracle/README.md"
sets="fc micro_speech kws person sww resnet union7 all"
# Row label in the README table (the text in parentheses) per set.
label() {
	case $1 in
	fc) echo "(hello_world, ad01)" ;; micro_speech) echo "(micro_speech)" ;;
	kws) echo "(kws, vww)" ;; person) echo "(person_detect)" ;; sww) echo "(sww)" ;;
	resnet) echo "(resnet8)" ;; union7) echo "union of the 7 ops" ;; *) echo "" ;;
	esac
}
sum() { # map -> ".text .rodata" of core objects
	awk '
		function hex(h,   i, c, v) {
			v = 0
			h = tolower(h)
			sub(/^0x/, "", h)
			for (i = 1; i <= length(h); i++) {
				c = index("0123456789abcdef", substr(h, i, 1)) - 1
				v = v * 16 + c
			}
			return v
		}
		function take(sec, size, file) {
			if (file !~ /node-firmware\/core\// || file ~ /size\/probe/) return
			if (sec ~ /^\.text/) t += hex(size)
			else if (sec ~ /^\.rodata/) r += hex(size)
		}
		/^Linker script and memory map/ { on = 1; next }
		!on { next }
		/^ \.(text|rodata)/ {
			if (NF >= 4) { take($1, $3, $4) } else { pend = $1 }
			next
		}
		pend != "" && NF >= 3 && $1 ~ /^0x/ { take(pend, $2, $3); pend = ""; next }
		{ pend = "" }
		END { print t + 0, r + 0 }' "$1"
}
printf '%-13s %8s %8s %10s %7s   %s\n' "op set" ".text" ".rodata" "TFLM .text" "ratio" "NN_NO_MESSAGES: .text .rodata ratio"
for s in $sets; do
	map="$B/m4/core-size/probe_$s.map"
	[ -f "$map" ] || { echo "size-core: $map missing" >&2; exit 1; }
	read -r text ro < <(sum "$map")
	read -r ntext nro < <(sum "$B/m4/core-size/nomsg/probe_$s.map")
	tflm="" ratio="" nratio=""
	l=$(label "$s")
	if [ -n "$l" ] && [ -f "$readme" ]; then
		tflm=$(awk -v l="$l" -F'|' 'index($0, "### 2.2") { on = 1 } on && index($2, l) { gsub(/[ ,]/, "", $5); print $5; exit }' "$readme")
		[ -n "$tflm" ] && ratio=$(awk -v a="$text" -v b="$tflm" 'BEGIN { printf "%.2f", a / b }')
		[ -n "$tflm" ] && nratio=$(awk -v a="$ntext" -v b="$tflm" 'BEGIN { printf "%.2f", a / b }')
	fi
	printf '%-13s %8s %8s %10s %7s   %6s %6s %5s\n' "$s" "$text" "$ro" "${tflm:--}" "${ratio:--}" \
		"$ntext" "$nro" "${nratio:--}"
done
