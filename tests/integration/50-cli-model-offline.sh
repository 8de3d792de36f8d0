#!/usr/bin/env bash
# tinyfleetctl model inspect/run, offline (no daemon): on models this test
# builds itself with tests/tools/make_test_model, the table and --json output,
# the exit codes for a missing file, a corrupt model, an unsupported model and
# bad flags; and, when ../shared is present, person_detect on the person /
# no_person images and on --random 1 (the oracle's input B), checked against
# the oracle's bytes.
. "$TF_ROOT/tests/integration/lib.sh"

CTL=$TF_BUILD/tinyfleetctl
MK=$TF_BUILD/tests/tools/make_test_model
[ -x "$CTL" ] || tf_fail "$CTL not built"
[ -x "$MK" ] || tf_fail "$MK not built"
cd "$TF_WORK"

# expect_rc CODE CMD...: run CMD, keep stdout/stderr in out/err, check the exit code.
expect_rc() {
	local want=$1; shift
	"$@" >out 2>err
	local rc=$?
	[ "$rc" = "$want" ] || { cat out err; tf_fail "'$*' exited $rc, expected $want"; }
}

$MK ok.tflite ok || tf_fail "make_test_model ok"
$MK corrupt.tflite corrupt || tf_fail "make_test_model corrupt"
$MK unsupported.tflite unsupported || tf_fail "make_test_model unsupported"

tf_log "help and version"
expect_rc 0 "$CTL" --help
grep -q "model inspect FILE" out || tf_fail "--help does not list model inspect"
expect_rc 0 "$CTL" --version
grep -Eq '^tinyfleetctl .+' out || tf_fail "--version printed '$(cat out)'"

tf_log "inspect (table)"
expect_rc 0 "$CTL" model inspect ok.tflite
for want in "core: can run it" "CONV_2D" "AVERAGE_POOL_2D" "FULLY_CONNECTED" "SOFTMAX" \
	"input 0: 'input' int8 [1,8,8,2] scale 0.05" "output 0: 'scores' int8 [1,3] scale 0.00390625 zero_point -128" \
	"parameters: 93 (int8 84, int32 9" "arena: "; do
	grep -qF "$want" out || { cat out; tf_fail "inspect table lacks '$want'"; }
done

tf_log "inspect --json"
expect_rc 0 "$CTL" model inspect ok.tflite --json
python3 - out <<'PY' || tf_fail "inspect --json content"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["can_run"] is True and d["why"] is None, d
ops = {o["name"]: o["count"] for o in d["ops"]}
assert ops == {"CONV_2D": 1, "AVERAGE_POOL_2D": 1, "RESHAPE": 1, "FULLY_CONNECTED": 1, "SOFTMAX": 1}, ops
assert d["op_count"] == 5
assert d["parameters"]["total"] == 93 and d["parameters"]["int8"] == 84, d["parameters"]
i, o = d["inputs"][0], d["outputs"][0]
assert i["shape"] == [1, 8, 8, 2] and i["type"] == "int8" and i["zero_point"] == -3, i
assert abs(i["scale"] - 0.05) < 1e-7, i
assert o["shape"] == [1, 3] and o["zero_point"] == -128 and o["scale"] == 1 / 256, o
assert d["arena_bytes"] > 0
assert d["arena_bytes"] == d["arena_persistent_bytes"] + d["arena_activation_bytes"], d
PY

tf_log "run --random (table and JSON)"
expect_rc 0 "$CTL" model run ok.tflite --random 7 --repeat 3
grep -q "raw:" out && grep -q "values:" out && grep -q "ms per inference (mean of 3)" out ||
	{ cat out; tf_fail "run table incomplete"; }
expect_rc 0 "$CTL" model run ok.tflite --random 7 --repeat 3 --json
cp out random7.json
python3 - random7.json <<'PY' || tf_fail "run --json content"
import json, sys
d = json.load(open(sys.argv[1]))
o = d["outputs"][0]
assert len(o["raw"]) == 3 and all(0 <= b <= 255 for b in o["raw"]), o
vals = [(((b ^ 0x80) - 0x80) + 128) / 256 for b in o["raw"]]
assert all(abs(a - b) < 1e-9 for a, b in zip(vals, o["values"])), (vals, o["values"])
assert abs(sum(o["values"]) - 1.0) < 0.02, o["values"]   # softmax
assert d["repeat"] == 3 and d["seconds_per_inference"] > 0
PY

tf_log "run --input RAW gives the same bytes as --random with the same generator"
python3 - <<'PY'
s, out = 7, bytearray()
for _ in range(128):
    s = (s * 1664525 + 1013904223) & 0xffffffff
    out.append(s >> 24)
open("in7.raw", "wb").write(out)
open("short.raw", "wb").write(out[:100])
PY
expect_rc 0 "$CTL" model run ok.tflite --input in7.raw --json
python3 -c "import json,sys; a=json.load(open('out')); b=json.load(open('random7.json')); \
sys.exit(0 if a['outputs'][0]['raw']==b['outputs'][0]['raw'] else 1)" ||
	tf_fail "--input in7.raw and --random 7 differ"

tf_log "--json stays valid JSON for arbitrary tensor name bytes"
$MK names.tflite names || tf_fail "make_test_model names"
expect_rc 0 "$CTL" model run names.tflite --random 3 --json
python3 - out <<'PY' || tf_fail "names JSON: $(cat out)"
import json, sys
d = json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))
assert d["inputs"][0]["name"] == 'in "q"\\x\n', repr(d["inputs"][0]["name"])
assert d["outputs"][0]["name"] == "out \u00e9 \ufffd", repr(d["outputs"][0]["name"])
PY
expect_rc 0 "$CTL" model inspect names.tflite --json
python3 -c "import json; json.load(open('out'))" || tf_fail "names inspect JSON: $(cat out)"

tf_log "--input RAW feeds several inputs back to back"
$MK two.tflite two_inputs || tf_fail "make_test_model two_inputs"
printf '\001\002\003\004\012\024\036\050\144\310\001\002' >two.raw   # [1,2,3,4] then [[10,20,30,40],[100,-56,1,2]]
expect_rc 0 "$CTL" model run two.tflite --input two.raw --json
python3 - out <<'PY' || tf_fail "two inputs: $(cat out)"
import json, sys
d = json.load(open(sys.argv[1]))
assert [i["shape"] for i in d["inputs"]] == [[1, 4], [1, 2, 4]], d["inputs"]
assert d["outputs"][0]["values"] == [11, 22, 33, 44, 101, -54, 4, 6], d["outputs"][0]["values"]
PY
expect_rc 1 "$CTL" model run two.tflite --input in7.raw
grep -q "inputs need 12" err || tf_fail "two inputs, wrong size: $(cat err)"

tf_log "errors: missing file, corrupt model, unsupported model, wrong input size"
expect_rc 1 "$CTL" model inspect missing.tflite
grep -q "missing.tflite" err || tf_fail "missing-file error does not name the file: $(cat err)"
expect_rc 1 "$CTL" model run missing.tflite --random 1
expect_rc 1 "$CTL" model inspect corrupt.tflite
grep -q "corrupt.tflite" err && grep -qi "malformed" err || tf_fail "corrupt model error: $(cat err)"
expect_rc 1 "$CTL" model run corrupt.tflite --random 1
expect_rc 0 "$CTL" model inspect unsupported.tflite --json
python3 -c "import json; d=json.load(open('out')); assert d['can_run'] is False; \
assert 'SVDF' in d['why'], d; assert d['ops'][0]['name']=='SVDF' and not d['ops'][0]['supported']" ||
	tf_fail "unsupported model JSON: $(cat out)"
expect_rc 0 "$CTL" model inspect unsupported.tflite
grep -q "cannot run it" out || tf_fail "unsupported model table: $(cat out)"
expect_rc 1 "$CTL" model run unsupported.tflite --random 1
grep -q "SVDF" err || tf_fail "run on the unsupported model does not name the op: $(cat err)"
expect_rc 1 "$CTL" model run ok.tflite --input short.raw
grep -q "short.raw" err && grep -q "128" err || tf_fail "wrong input size error: $(cat err)"

tf_log "usage errors exit 2"
expect_rc 2 "$CTL"
expect_rc 2 "$CTL" frobnicate
expect_rc 2 "$CTL" model
expect_rc 2 "$CTL" model frobnicate
expect_rc 2 "$CTL" model inspect
expect_rc 2 "$CTL" model inspect ok.tflite --bogus
expect_rc 2 "$CTL" model run ok.tflite
expect_rc 2 "$CTL" model run ok.tflite --random 1 --input in7.raw
expect_rc 2 "$CTL" model run ok.tflite --random x
expect_rc 2 "$CTL" model run ok.tflite --random 1 --repeat 0
expect_rc 2 "$CTL" model run ok.tflite --random
grep -q "usage" err || tf_fail "usage error without usage text: $(cat err)"

# --- with ../shared: person_detect against the oracle's bytes ---
if [ ! -d "$TF_SHARED/models" ]; then
	tf_log "../shared absent: person_detect part skipped"
	exit 0
fi
PD=$TF_SHARED/models/tflm-examples/person_detect.tflite
tf_log "person_detect on person.bmp / no_person.bmp (top row first) and --random 1"
for img in person no_person; do
	python3 - "$TF_SHARED/models/tflm-examples/testdata/$img.bmp" "$img.raw" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
off, = struct.unpack_from("<I", b, 10)
w, h = struct.unpack_from("<ii", b, 18)
bpp, = struct.unpack_from("<H", b, 28)
assert bpp == 8 and w == 96 and abs(h) == 96, (w, h, bpp)
stride = (w + 3) & ~3
rows = [b[off + r * stride: off + r * stride + w] for r in range(abs(h))]
if h > 0:          # stored bottom-up: the tensor wants the top row first
    rows.reverse()
open(sys.argv[2], "wb").write(b"".join(rows))
PY
done
expect_rc 0 "$CTL" model run "$PD" --input person.raw --json
python3 -c "import json; r=json.load(open('out'))['outputs'][0]['raw']; assert r==[0x8f,0x71], r" ||
	tf_fail "person.bmp: $(cat out)"
expect_rc 0 "$CTL" model run "$PD" --input no_person.raw --json
python3 -c "import json; r=json.load(open('out'))['outputs'][0]['raw']; assert r==[0x39,0xc7], r" ||
	tf_fail "no_person.bmp: $(cat out)"
expect_rc 0 "$CTL" model run "$PD" --random 1 --json
want=$(awk -F'\t' '$1=="person_detect" && $2=="B" {print $3}' "$TF_SHARED/oracle/outputs.tsv")
got=$(python3 -c "import json; print(bytes(json.load(open('out'))['outputs'][0]['raw']).hex())")
[ -n "$want" ] && [ "$got" = "$want" ] || tf_fail "person_detect --random 1: got $got, oracle input B $want"
expect_rc 0 "$CTL" model inspect "$PD"
grep -q "DEPTHWISE_CONV_2D *14" out && grep -q "CONV_2D *14" out || tf_fail "person_detect op counts: $(cat out)"
tf_log "a real model the core refuses still lists its ops (mnist_lstm: LSTM)"
expect_rc 0 "$CTL" model inspect "$TF_SHARED/models/tflm-examples/mnist_lstm_int8.tflite" --json
python3 -c "import json; d=json.load(open('out')); assert d['can_run'] is False and d['op_count'] == 4, d; \
names={o['name']: o['supported'] for o in d['ops']}; assert names.get('UNIDIRECTIONAL_SEQUENCE_LSTM') is False, names; \
assert names.get('FULLY_CONNECTED') is True, names" || tf_fail "mnist_lstm inspect: $(cat out)"
echo "ok"
