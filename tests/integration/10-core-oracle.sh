#!/usr/bin/env bash
# The inference core is bit-exact with TFLite Micro's reference kernels on the
# 8 core models: for inputs A, B, Z (and person/no_person for person_detect)
# the output bytes equal ../shared/oracle/outputs.tsv, and for input A every
# operator's output hashes to the per-layer sha256 prefixes of the oracle
# README (section 3.2), parsed here at test time. SKIPs without ../shared.
. "$TF_ROOT/tests/integration/lib.sh"
tf_need_shared
oracle="$TF_BUILD/tests/tools/nn_oracle"
[ -x "$oracle" ] || tf_fail "$oracle not built (make B=... $oracle)"
O="$TF_SHARED/oracle"
M="$TF_SHARED/models"
[ -f "$O/outputs.tsv" ] && [ -f "$O/README.md" ] || tf_skip "oracle files absent"

exec python3 - "$oracle" "$O" "$M" "$TF_WORK" <<'PY'
import os, re, subprocess, sys

oracle, odir, mdir, work = sys.argv[1:5]
core = {
    "kws_ds_cnn_int8": "mlperf-tiny/kws_ds_cnn_int8.tflite",
    "vww_96_int8": "mlperf-tiny/vww_96_int8.tflite",
    "ic_resnet8_int8": "mlperf-tiny/ic_resnet8_int8.tflite",
    "ad01_fc_autoencoder_int8": "mlperf-tiny/ad01_fc_autoencoder_int8.tflite",
    "sww_streaming_wakeword_int8": "mlperf-tiny/sww_streaming_wakeword_int8.tflite",
    "hello_world_int8": "tflm-examples/hello_world_int8.tflite",
    "micro_speech_quantized": "tflm-examples/micro_speech_quantized.tflite",
    "person_detect": "tflm-examples/person_detect.tflite",
}

def bmp_pixels(path):
    # Raw 8-bit pixel bytes, top row first (what TFLM's test feeds).
    b = open(path, "rb").read()
    off = int.from_bytes(b[10:14], "little")
    w = int.from_bytes(b[18:22], "little", signed=True)
    h = int.from_bytes(b[22:26], "little", signed=True)
    stride = (w + 3) & ~3
    rows = [b[off + r * stride: off + r * stride + w] for r in range(abs(h))]
    if h > 0:
        rows.reverse()
    return b"".join(rows)

def run(model, spec, layers=False):
    args = [oracle] + (["-l"] if layers else []) + [os.path.join(mdir, core[model]), spec]
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode != 0:
        print(f"FAIL {model} {spec}: nn_oracle exit {p.returncode}: {p.stderr.strip()}")
        return None
    return p.stdout

failed = checked = 0
for line in open(os.path.join(odir, "outputs.tsv")):
    f = line.rstrip("\n").split("\t")
    if len(f) != 3 or f[0] not in core:
        continue
    model, inp, want = f
    spec = inp
    if inp in ("person", "no_person"):
        raw = os.path.join(work, inp + ".raw")
        open(raw, "wb").write(bmp_pixels(os.path.join(mdir, "tflm-examples/testdata", inp + ".bmp")))
        spec = "file:" + raw
    out = run(model, spec)
    checked += 1
    got = None
    if out:
        m = re.search(r"^output ([0-9a-f]*)$", out, re.M)
        got = m.group(1) if m else None
    if got != want:
        failed += 1
        print(f"FAIL {model} input {inp}: got {got} want {want}")
    else:
        print(f"ok   {model} input {inp}: {want[:24]}{'...' if len(want) > 24 else ''}")

# Per-layer hashes, README section 3.2.
readme = open(os.path.join(odir, "README.md")).read()
sec = readme.split("### 3.2", 1)[1].split("## 4.", 1)[0]
want_layers = {}
cur = None
for line in sec.splitlines():
    m = re.match(r"^(\S+) \(input A\):$", line)
    if m:
        cur = m.group(1)
        want_layers[cur] = []
        continue
    m = re.match(r"^\s+(\d+) (\S+)\s+-> t(\d+) .* sha256:([0-9a-f]{16})$", line)
    if m and cur:
        want_layers[cur].append((int(m.group(1)), m.group(2), int(m.group(3)), m.group(4)))
for model in core:
    if model not in want_layers or not want_layers[model]:
        failed += 1
        print(f"FAIL {model}: no per-layer hashes found in the oracle README")
        continue
    out = run(model, "A", layers=True) or ""
    got = {}
    for line in out.splitlines():
        m = re.match(r"^layer (\d+) (\S+) t(\d+) ([0-9a-f]{16})$", line)
        if m:
            got[int(m.group(1))] = (m.group(2), int(m.group(3)), m.group(4))
    bad = 0
    for op, name, t, h in want_layers[model]:
        checked += 1
        if got.get(op) != (name, t, h):
            bad += 1
            print(f"FAIL {model} layer {op} {name} t{t}: got {got.get(op)} want {h}")
    failed += bad
    if not bad:
        print(f"ok   {model}: {len(want_layers[model])} layer hashes")
print(f"{checked} checks, {failed} failed")
sys.exit(1 if failed else 0)
PY
