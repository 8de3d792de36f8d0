#!/usr/bin/env bash
# tinyfleet-node runs the reference .tflite models from ../shared (read at run
# time, never copied): the synthetic sensor shapes its data for each model's
# input (audio-like features, images, vibration windows) and every node
# reports inferences without errors. Skips when ../shared is absent.
. "$TF_ROOT/tests/integration/lib.sh"
tf_need_shared
B=$TF_BUILD
NODE=$B/tinyfleet-node
RECV=$B/tests/tools/test_receiver

port=$(tf_free_port udp)
"$RECV" --enroll-batch 40 --out all.txt --gateway "127.0.0.1:$port" --seed 4 || tf_fail enroll
tf_spawn recv "$RECV" --listen "$port" --provision all.txt --record rec.txt --ready recv.ready
tf_wait_for 10 test -e recv.ready || tf_fail "receiver did not start"

i=0
for m in mlperf-tiny/kws_ds_cnn_int8 mlperf-tiny/ic_resnet8_int8 tflm-examples/person_detect \
	mlperf-tiny/ad01_fc_autoencoder_int8; do
	f="$TF_SHARED/models/$m.tflite"
	[ -f "$f" ] || tf_skip "$f absent"
	sed -n "$((i * 10 + 2)),$((i * 10 + 11))p" all.txt >part.txt
	i=$((i + 1))
	"$NODE" --provision part.txt --model "$f" --duration 3 --period 300 --stats >run.json 2>run.err ||
		tf_fail "$m: $(tail -n 3 run.err)"
	python3 - "$m" <<'PY' || tf_fail "$m"
import json, sys
d = json.load(open("run.json"))
print(sys.argv[1], {k: d[k] for k in ("model_ok", "arena_bytes", "inferences", "inference_errors")})
sys.exit(0 if d["model_ok"] and d["inferences"] >= 50 and d["inference_errors"] == 0 else 1)
PY
done
recorded() { [ "$(grep -c ' inference ' rec.txt)" -ge 200 ]; }
tf_wait_for 5 recorded || tf_fail "inferences not recorded"
