#!/usr/bin/env bash
# Trains Petalflow's demo model (models/petalflow-shapes) on the CPU. See training/README.md.
#
#   nohup npm run train:model > /dev/null 2>&1 &    # full run in the background; log: training/work/train.log
#   bash training/train.sh --export-only            # export + check + evaluate + card from the newest checkpoints
#   bash training/train.sh --train-only             # train/resume only; export later with --export-only
#   bash training/train.sh --smoke                  # tiny end-to-end run in training/work/smoke/ (~5 min)
#
# Every stage resumes from its checkpoint in training/work/, so rerunning continues where it stopped.
# PF_* environment variables override the sizes (e.g. PF_UNET_STEPS=20000 to train longer).
set -euo pipefail

main() {

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
PY=/usr/bin/python3          # Debian's python has torch/onnx; a pyenv python3 on PATH may not
export PYTHONPATH="$HERE${PYTHONPATH:+:$PYTHONPATH}"
export OPENBLAS_NUM_THREADS=1   # one BLAS thread per torch thread: otherwise they fight and run 2x slower
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"

MODE=train
for arg in "$@"; do
  case "$arg" in
    --export-only) MODE=export ;;
    --train-only) MODE=train-only ;;   # train/resume but leave models/petalflow-shapes alone
    --smoke) export PF_PROFILE=smoke   # tiny sizes, kept apart from the real run and model folder
             export PF_WORK="${PF_WORK:-$HERE/work/smoke}"
             export PF_MODEL_DIR="${PF_MODEL_DIR:-$HERE/work/smoke/petalflow-shapes}" ;;
    -h|--help) sed -n '2,10p' "$0"; return 0 ;;
    *) echo "unknown option: $arg" >&2; return 2 ;;
  esac
done

export PF_WORK="${PF_WORK:-$HERE/work}"
export PF_MODEL_DIR="${PF_MODEL_DIR:-$REPO/models/petalflow-shapes}"
mkdir -p "$PF_WORK"
LOG="$PF_WORK/train.log"
exec > >(tee -a "$LOG") 2>&1
renice -n 10 $$ > /dev/null 2>&1 || true   # be gentle with the rest of the team's builds
stamp() { echo "$(date -u +%H:%M:%S) == $*"; }

if ! "$PY" -c 'import torch, onnx, numpy, PIL' 2>/dev/null; then
  # Installing system packages is the user's call, not a training script's: say exactly what is missing.
  echo "training needs Debian's Python packages, which $PY cannot import. Install them with:" >&2
  echo "  sudo apt-get install -y python3-torch python3-onnx python3-numpy python3-pil libopenblas0-pthread" >&2
  return 1
fi
# Settings are checked before any stage starts (a typo in a PF_* variable stops here, with its name).
"$PY" -c 'import petalflow_train.settings as s; s.load_settings()' || return 2

# Python runs as a child we wait on, so `kill $(cat training/work/train.pid)` stops the whole run
# (the stage loses at most the minutes since its last checkpoint).
CHILD=""
trap 'stamp "stopped by signal"; [ -n "$CHILD" ] && kill "$CHILD" 2>/dev/null; exit 143' TERM INT
run() {
  stamp "$1"; shift
  "$PY" -m "$@" &
  CHILD=$!
  wait "$CHILD"
  CHILD=""
}

export_stages() {
  # One exporter at a time (a manual --export-only may overlap the training run's own).
  exec 8> "$PF_WORK/export.lock"
  flock 8
  run "export (newest checkpoints)" petalflow_train.export
  if command -v node > /dev/null; then
    stamp "check: tokenizer in @huggingface/tokenizers"
    node "$HERE/petalflow_train/check_tokenizer.mjs" "$PF_MODEL_DIR" "$PF_WORK/export/tokenizer_cases.json"
    stamp "check: ONNX in onnxruntime-node"
    node "$HERE/petalflow_train/check_onnx.mjs" "$PF_MODEL_DIR" "$PF_WORK"
  else
    stamp "node not found: skipping the tokenizer and onnxruntime checks"
  fi
  run "evaluate" petalflow_train.evaluate
  run "model card" petalflow_train.card
  flock -u 8
}

if [ "$MODE" = export ]; then
  export_stages
  stamp "export-only done: $PF_MODEL_DIR"
  return 0
fi

exec 9> "$PF_WORK/train.lock"
if ! flock -n 9; then
  echo "another training run holds $PF_WORK/train.lock; not starting a second one" >&2
  return 1
fi
echo $$ > "$PF_WORK/train.pid"
stamp "training run started (profile ${PF_PROFILE:-full}, pid $$)"
run "data" petalflow_train.data
run "VAE" petalflow_train.train_vae
run "text encoder + U-Net" petalflow_train.train_unet
if [ "$MODE" = train-only ]; then
  stamp "training done (--train-only: run --export-only to update $PF_MODEL_DIR)"
  return 0
fi
export_stages
stamp "all stages done: $PF_MODEL_DIR"
}

# Everything is inside main(): bash has parsed it all before running, so editing this file mid-run is safe.
main "$@"; exit $?
