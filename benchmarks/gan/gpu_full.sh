#!/usr/bin/env bash
# Run benchmarks/gan/gpu_full.py on the device machine within a time budget.
#   OUT=/path/to/out bash benchmarks/gan/gpu_full.sh --part mnist|cifar10|speed [--toy] [--budget SECONDS] [more gpu_full.py options]
# Data: GENAD_DATA (default .gpu-data, written by benchmarks/gan/gpu_pack.py). The results
# (gpu_<part>.json) and the log (gpu_<part>.log) go to $OUT; results are rewritten after every
# class, and the run is stopped a few seconds before the budget at the latest.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
: "${OUT:?set OUT to the results folder}"
budget=330
part=mnist
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --budget) budget="$2"; shift 2 ;;
    --part) part="$2"; args+=(--part "$2"); shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
mkdir -p "$OUT"
export PYTHONPATH=src GENAD_DATA="${GENAD_DATA:-.gpu-data}" MPLBACKEND=Agg
PY="${PYTHON:-python3}"
log="$OUT/gpu_${part//,/_}.log"
{ date -u; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null || echo "no nvidia-smi"
  "$PY" -c "import torch, sklearn, numpy; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'sklearn', sklearn.__version__, 'numpy', numpy.__version__)"
} 2>&1 | tee "$log"
# the script stops itself before the budget (--margin); the timeout is the backstop
hard=$(( ${budget%.*} - 5 ))
timeout --kill-after=5 "$hard" "$PY" benchmarks/gan/gpu_full.py --budget "$budget" --out "$OUT" "${args[@]}" 2>&1 | tee -a "$log"
rc=${PIPESTATUS[0]}
[ "$rc" = 124 ] && echo "stopped at the budget (${hard}s); results of the finished classes are in $OUT" | tee -a "$log"
ls -l "$OUT" | tee -a "$log"
exit "$rc"
