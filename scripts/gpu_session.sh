#!/usr/bin/env bash
# What a lent GPU session runs, in one call of about 9 minutes, from the training copy that
# `python -m cxr.training.pack` builds here (the machine has no ../shared and no package index):
#   - the paper's grid: 11 architectures x lr {1e-4, 1e-6} x batch {16, 32} = 44 runs at 224 px
#     on the binary random split (lr 1e-4 first, so every architecture gets its useful rows before
#     the time runs out), after a throughput check against the synthetic ceiling;
#   - the leave-sources-out folds of the bundled model's recipe, for EfficientNet-Lite0 (the served
#     network) and Xception (the paper's), one process per fold, at the same time as the grid.
#
#   1. here:  .venv/bin/python -m cxr.training.pack build --split-csv var/data/splits/3class_patient_s0.csv \
#               --also-split var/data/splits/binary_random_s0.csv --extra tf_efficientnet_lite0 --part-mib 52
#   2. there: one call per part, back to back (a warm machine keeps what earlier calls left):
#             bash scripts/gpu_session.sh   carry: pack/gpu/manifest.json, pack/gpu/part-00K
#      Until every part is there the script only says which are missing (exit 3, seconds).
#   3. the call that completes the pack runs everything and stops it at DEADLINE seconds, then
#      leaves in $OUT: grid.tgz (results/, no checkpoints), oos.tgz (each arch's protocol,
#      oos_predictions.csv with packed paths, and its fold runs' histories) and the logs.
#      Here: unpack both, `python -m cxr.training.pack unmap` the CSVs' paths, commit.
# Settings (environment): DEADLINE (480), EPOCHS (2: the grid), CONCURRENT (8: grid runs at once),
# OOS_ARCHS ("EfficientNet-Lite0 Xception"), THROUGHPUT_CHECK (1), PY; for a smoke test on a
# CPU: PACK, WORK, DEVICE, ARCHS, IMG_SIZE, EXTRA (more `cxr sweep` options), OOS_EXTRA.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python3}
PACK=${PACK:-pack/gpu}
WORK=${WORK:-var/gpu}
OUT_DIR=${OUT:-var/gpu-out}
GRID=${GRID:-results/sweep-binary-random-gpu224}
DEADLINE=${DEADLINE:-480}
EPOCHS=${EPOCHS:-2}
CONCURRENT=${CONCURRENT:-8}
OOS_ARCHS=${OOS_ARCHS-EfficientNet-Lite0 Xception}  # empty: no folds
DEVICE=${DEVICE:-cuda}
IMG_SIZE=${IMG_SIZE:-224}
mkdir -p "$OUT_DIR"
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1
export CXR_WEIGHTS_CACHE=$WORK/weights CXR_WEIGHTS_DIR=$WORK/weights/explicit

if ! $PY -m cxr.training.pack missing "$PACK"; then
    echo "pack incomplete: carry the parts listed above (one per call), then run again"
    exit 3
fi
if [ ! -f "$WORK/split.csv" ]; then
    $PY -m cxr.training.pack unpack "$PACK" --dest "$WORK" || exit 4
fi
echo "unpacked at ${SECONDS}s"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true

ARCHS=${ARCHS:-Xception,VGG16,VGG19,ResNet50,ResNet101,ResNet152,InceptionV3,InceptionResNetV2,DenseNet121,DenseNet169,DenseNet201}
BINARY=$WORK/splits/binary_random_s0.csv
# shellcheck disable=SC2206
common=(--split-csv "$BINARY" --img-size "$IMG_SIZE" --device "$DEVICE" --workers 1
        --cache-dir "$WORK/cache" --pretrained imagenet-or-none ${EXTRA:-})

if [ "${THROUGHPUT_CHECK:-1}" = 1 ]; then
    # The issue's synthetic ceiling: 8 concurrent ResNet101 trainings at batch 16 gave 1,984 img/s
    # in total on an H200 (bf16, channels_last). Same shape here, on the real pipeline (resident
    # uint8 images, augmentation on the GPU): 8 runs of 150 batches, one epoch, no ImageNet weights.
    timeout 90 $PY -m cxr sweep "${common[@]}" --archs ResNet101 --batch-sizes 16 \
        --lrs 1e-4,2e-4,3e-4,4e-4,5e-4,6e-4,7e-4,8e-4 --epochs 1 --max-train-batches "${THROUGHPUT_BATCHES:-150}" \
        --n-boot 10 --pretrained none --concurrent 8 --out "$WORK/throughput-resnet101" \
        > "$OUT_DIR/throughput.log" 2>&1
    grep -E "throughput|FAILED" "$OUT_DIR/throughput.log"
    cp "$WORK/throughput-resnet101/throughput.json" "$OUT_DIR/throughput-resnet101.json" 2>/dev/null
    $PY - "$WORK/throughput-resnet101/throughput.json" <<'PYEOF' || true
import json, sys
report = json.load(open(sys.argv[1]))[-1]
print(f"real pipeline: {report['sum_of_run_rates']:.0f} img/s while overlapping "
      f"({report['images_per_second']:.0f} over the wall clock) = "
      f"{100 * report['sum_of_run_rates'] / 1984:.0f}% of the synthetic 1,984 img/s")
PYEOF
    echo "throughput check done at ${SECONDS}s"
fi

# The folds: the bundled model's recipe (docs/results/bundled_model.md), one process per fold.
# The same options again write the CSV at the end (the folder refuses another recipe).
slug() { echo "$1" | tr 'A-Z' 'a-z' | tr -cd 'a-z0-9'; }
# shellcheck disable=SC2206
oos_recipe=(--index "$WORK/split.csv" --pretrained imagenet --lr 1e-4 --batch-size 32 --epochs 8
            --max-train-batches 100 --img-size "$IMG_SIZE" --contrast none
            --augment paper+codec-last --balance class --device "$DEVICE" --workers 1
            --cache-dir "$WORK/cache" ${OOS_EXTRA:-})
oos_pids=()
for arch in $OOS_ARCHS; do
    for fold in cohen nih kermany raddb; do
        setsid $PY -m cxr out-of-source "${oos_recipe[@]}" --arch "$arch" --out "$WORK/oos-$(slug "$arch")" \
            --folds "$fold" > "$OUT_DIR/oos-$(slug "$arch")-$fold.log" 2>&1 &
        oos_pids+=($!)
    done
done

# The grid, lr 1e-4 first, in its own session so the deadline stops its worker processes too.
export PY ARCHS EPOCHS CONCURRENT GRID OUT_DIR
export GRID_OPTIONS="${common[*]}"
setsid bash -c 'for lr in 1e-4 1e-6; do
    $PY -m cxr sweep $GRID_OPTIONS --archs "$ARCHS" --lrs "$lr" --batch-sizes 16,32 \
        --epochs "$EPOCHS" --concurrent "$CONCURRENT" --out "$GRID" >> "$OUT_DIR/grid.log" 2>&1
    echo "grid lr $lr finished at ${SECONDS}s of the grid" >> "$OUT_DIR/grid.log"
done' &
grid_pid=$!

all_done() {
    for pid in "${oos_pids[@]}" "$grid_pid"; do kill -0 "$pid" 2>/dev/null && return 1; done
    return 0
}
while [ "$SECONDS" -lt "$DEADLINE" ] && ! all_done; do sleep 5; done
echo "stopping at ${SECONDS}s (deadline ${DEADLINE}s)"
for pid in "${oos_pids[@]}" "$grid_pid"; do kill -TERM -- "-$pid" 2>/dev/null; done
sleep 3
grep -vE "queued|skipped" "$OUT_DIR/grid.log" | tail -60

# Each arch's CSV once its four folds are done (nothing is trained here: all folds exist).
for arch in $OOS_ARCHS; do
    dir=$WORK/oos-$(slug "$arch")
    if [ "$(ls "$dir"/*/predictions.npz 2>/dev/null | wc -l)" = 4 ]; then
        $PY -m cxr out-of-source "${oos_recipe[@]}" --arch "$arch" --out "$dir" \
            >> "$OUT_DIR/oos-$(slug "$arch")-csv.log" 2>&1
    fi
    echo "$arch folds done: $(ls "$dir"/*/predictions.npz 2>/dev/null | wc -l) of 4"
    tail -3 "$OUT_DIR/oos-$(slug "$arch")-csv.log" 2>/dev/null
done
tar czf "$OUT_DIR/oos.tgz" -C "$WORK" --exclude=best.pt --exclude=predictions.npz \
    --exclude=split.csv $(cd "$WORK" && ls -d oos-* 2>/dev/null)
$PY -m cxr sweep --split-csv "$BINARY" --out "$GRID" --tables-only > /dev/null 2>&1 || true
tar czf "$OUT_DIR/grid.tgz" --exclude=best.pt --exclude='predictions_*.csv' "$GRID"
# At most 8 files come back from the machine: the logs travel as one archive.
(cd "$OUT_DIR" && shopt -s nullglob && logs=(*.log *.json) && tar czf logs.tgz "${logs[@]}" && rm -f "${logs[@]}")
ls -la "$OUT_DIR"
echo "finished at ${SECONDS}s"
