#!/usr/bin/env bash
# Leave-sources-out ablation of the bundled model's recipe (issue 4, item 7): which of
# contrast equalisation, robust augmentation, source-balanced and class-balanced sampling helps
# on hospitals the model never saw. Two folds cover the four small sources; raddb stays in
# training because it holds 96% of the COVID films (holding it out leaves almost no COVID).
# CPU-sized: 128 px, 8 epochs of at most 60 batches; finished runs are skipped, so it resumes.
# Each model is also evaluated with flip test-time augmentation (eval-tta/). Variants 7-9 swap the
# backbone for the other offline ImageNet networks (a later --arch overrides COMMON's); variant 10
# trains 2.5 times longer (20 epochs, early stopping still on); variants 11 and 12 train against
# a class-conditional source adversary (cxr.training.adversary), weights 0.5 and 2; variants 13 and 14
# soften the targets, by mixup (alpha 0.2) and by label smoothing (0.1).
# SEED=1 OUT=runs/ablation-seed1 repeats it with another seed, to see how much is noise.
# Afterwards: python -m studies.recipe_ablation.table runs/ablation (prints the table and keeps it
# in docs/results/recipe_ablation.md)
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
OUT=${OUT:-runs/ablation}
export HF_HUB_OFFLINE=1

declare -A FOLDS=(
  [cohen-darkcovidnet]="cohen,darkcovidnet"
  [skytells-zargari]="skytells,zargari"
)
declare -A VARIANTS=(
  [1-paper]="--contrast none --augment paper --balance none"
  [2-equalize]="--contrast equalize --augment paper --balance none"
  [3-equalize-robust]="--contrast equalize --augment paper+robust --balance none"
  [4-equalize-robust-balance]="--contrast equalize --augment paper+robust --balance source"
  [5-paper-balance-class]="--contrast none --augment paper --balance class"
  [6-paper-lungcrop]="--contrast none --augment paper --balance none"
  [7-paper-mobilenetv2]="--arch MobileNetV2 --contrast none --augment paper --balance none"
  [8-paper-lite1]="--arch EfficientNet-Lite1 --contrast none --augment paper --balance none"
  [9-paper-lite2]="--arch EfficientNet-Lite2 --contrast none --augment paper --balance none"
  [10-paper-longer]="--epochs 20 --contrast none --augment paper --balance none"
  [11-paper-adversary]="--adversary-weight 0.5 --contrast none --augment paper --balance none"
  [12-paper-adversary2]="--adversary-weight 2 --contrast none --augment paper --balance none"
  [13-paper-mixup]="--mixup 0.2 --contrast none --augment paper --balance none"
  [14-paper-label-smoothing]="--label-smoothing 0.1 --contrast none --augment paper --balance none"
)
# Variants trained on another copy of the images: lung-cropped ones (studies/lung_crop/study.py
# writes var/lungcrop/ and the split files with this suffix).
declare -A SPLIT_SUFFIX=(
  [6-paper-lungcrop]="-lungcrop"
)
COMMON="--arch EfficientNet-Lite0 --pretrained imagenet --lr 1e-4 --batch-size 32 --epochs 8 --max-train-batches 60 --img-size 128 --seed ${SEED:-0}"

for fold in $(printf '%s\n' "${!FOLDS[@]}" | sort); do
  split=var/data/splits/3class_holdout-${fold}_s0.csv
  [ -f "$split" ] || $PY -m cxr data split --task 3class --kind source \
      --holdout-sources "${FOLDS[$fold]}" --out "$split"
  for variant in $(printf '%s\n' "${!VARIANTS[@]}" | sort); do
    run=$OUT/$fold/$variant
    if [ -f "$run/eval/metrics.json" ]; then echo "skip $run (done)"; continue; fi
    variant_split=${split%_s0.csv}${SPLIT_SUFFIX[$variant]:-}_s0.csv
    if [ ! -f "$variant_split" ]; then
      echo "skip $run: $variant_split is missing (python -m studies.lung_crop.study crop makes it)"; continue
    fi
    # A run whose training finished but whose evaluation did not is evaluated, not trained again;
    # an interrupted one (best.pt, no done.json) is trained again in its place (train refuses a
    # folder holding a checkpoint unless --replace).
    # shellcheck disable=SC2086
    [ -f "$run/done.json" ] || $PY -m cxr train --split-csv "$variant_split" $COMMON ${VARIANTS[$variant]} \
      --out "$run" --replace
    $PY -m cxr evaluate "$run" --out "$run/eval"
    $PY -m cxr evaluate "$run" --tta flip --out "$run/eval-tta"
  done
done
