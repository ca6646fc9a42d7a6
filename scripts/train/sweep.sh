#!/bin/sh
# The sweep for the built-in model: every point of POINTS (sweep-points.txt) trained by our
# trainer and by its PyTorch twin (twin.py) with the same settings, one run after another.
# Ours first, point by point (they give the model), then the twins. POINTS is read again
# before every run, so points can be added or changed while it runs; finished runs are
# skipped and an interrupted run of ours continues with --resume, so the driver can simply be
# started again. Outputs (outside the repository):
#   RUNS/<point>/        our model folder, snapshots/, training-log.json, train.log (progress),
#                        eval.json (whole validation split), wall-seconds, done
#   RUNS/<point>-twin/   twin.log (its progress; the last line is its JSON summary), wall-seconds, done
#   RUNS/sweep.log       what the driver started and finished, and when
# Start it in the background at the lowest priority, e.g.:
#   nohup nice -n 19 sh scripts/train/sweep.sh ../shared/data/tinyshakespeare.txt /work/runs >/dev/null 2>&1 &
# Stop it with kill PID (the run under way stops too, ours saving its state); start it again to go on.
# Wall times include any time the runs were paused (SIGSTOP) or shared the machine.
set -u
DATA=$(realpath "${1:-../shared/data/tinyshakespeare.txt}")
RUNS=${2:-/work/runs}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
POINTS=${POINTS:-$ROOT/scripts/train/sweep-points.txt}
PYTHON=${PYTHON:-/opt/torchenv/bin/python}
SNAPSHOTS=${SNAPSHOTS:-0 25 50 100 200 400 800 1200 1600 2000}
COMMON="--tokenizer gpt2 --block-size 128 --batch-size 16 --lr 1e-3 --min-lr 1e-4 --warmup-iters 100 --weight-decay 0.1 --grad-clip 1 --eval-interval 100 --eval-iters 8 --seed 1337"
mkdir -p "$RUNS"
say() { echo "$(date -u +%FT%TZ) $*" >> "$RUNS/sweep.log"; }

# The next job not yet done, as "ours NAME FLAGS..." or "twin NAME FLAGS...", or nothing.
next_job() {
  for kind in ours twin; do
    grep -v '^[[:space:]]*\(#\|$\)' "$POINTS" | while read -r name flags; do
      suffix=""; [ "$kind" = twin ] && suffix=-twin
      [ -e "$RUNS/$name$suffix/done" ] || echo "$kind $name $flags"
    done
  done | head -n 1
}

# --snapshots for a run of $1 steps: the listed steps up to its last.
snapshots_for() {
  for s in $SNAPSHOTS; do [ "$s" -le "$1" ] && printf '%s,' "$s"; done | sed 's/,$//'
}

# Stopping the driver (kill PID, or Ctrl-C) asks the run under way to stop too: ours saves its
# state first (SIGINT), so starting the driver again continues it with --resume.
child=""
stop() {
  [ -n "$child" ] && kill -INT "$child" 2>/dev/null && wait "$child"
  say "stopped by a signal; start the driver again to continue"
  exit 130
}
trap stop INT TERM
# Runs "$@" in the background so a signal reaches stop() at once; returns its exit code.
run() { "$@" & child=$!; wait "$child"; code=$?; child=""; return $code; }

cd "$ROOT" || exit 1
say "sweep started: data $DATA, points $POINTS, code $ROOT ($(git rev-parse --short HEAD 2>/dev/null || cat COMMIT 2>/dev/null || echo "not a checkout"))"
while job=$(next_job) && [ -n "$job" ]; do
  set -- $job
  kind=$1 name=$2; shift 2
  flags="$*"
  steps=$(echo "$flags" | sed -n 's/.*--max-iters \([0-9]*\).*/\1/p')
  start=$(date +%s)
  if [ "$kind" = ours ]; then
    out="$RUNS/$name"
    mkdir -p "$out"
    if [ -e "$out/training-state.bin" ]; then
      say "resume $name"
      run node bin/animated-transformer.js train --data "$DATA" --out "$out" --resume >> "$out/train.log" 2>&1
    else
      say "start $name: $flags"
      # shellcheck disable=SC2086
      run node bin/animated-transformer.js train --data "$DATA" --out "$out" --dtype F16 $COMMON $flags \
        --snapshots "$(snapshots_for "$steps")" >> "$out/train.log" 2>&1
    fi
    code=$?
    [ $code -eq 0 ] && node bin/animated-transformer.js eval --data "$DATA" --model "$out" --json > "$out/eval.json" 2>> "$out/train.log"
    code=$((code + $?))
  else
    out="$RUNS/$name-twin"
    mkdir -p "$out"
    say "start $name-twin: $flags"
    # shellcheck disable=SC2086
    run "$PYTHON" scripts/train/twin.py --data "$DATA" $COMMON $flags --threads 2 > "$out/twin.log" 2>&1
    code=$?
  fi
  echo $(( $(date +%s) - start )) >> "$out/wall-seconds"
  if [ $code -ne 0 ]; then
    say "FAILED $kind $name (exit $code); see $out; the sweep stops here"
    exit 1
  fi
  touch "$out/done"
  say "done $kind $name in $(( $(date +%s) - start )) s"
done
say "sweep finished"
