#!/bin/sh
# The anchor run: nanoGPT's small CPU character-level configuration on Tiny Shakespeare
# (4 layers, 4 heads, width 128, context 64, batch 12, 2,000 steps, lr 1e-3 decaying to 1e-4,
# 100 warmup steps, no dropout), trained by our trainer and by the PyTorch twin with the same
# settings and seed, one after the other so each gets the machine. nanoGPT reports about 1.88.
# Usage: sh scripts/train/anchor.sh [DATA] [OUT]   (defaults: ../shared/data/tinyshakespeare.txt, /tmp/anchor)
set -eu
DATA=${1:-../shared/data/tinyshakespeare.txt}
OUT=${2:-/tmp/anchor}
mkdir -p "$OUT"
FLAGS="--tokenizer char --n-layer 4 --n-head 4 --n-embd 128 --block-size 64 --batch-size 12 --max-iters 2000 --lr 1e-3 --min-lr 1e-4 --warmup-iters 100 --weight-decay 0.1 --grad-clip 1 --dropout 0 --eval-interval 250 --eval-iters 20 --seed 1337"
echo "== ours"
/usr/bin/time -f "%e s" npx animated-transformer train --data "$DATA" --out "$OUT/ours" $FLAGS 2>&1 | grep -v '^step' | tee "$OUT/ours.log"
npx animated-transformer eval --data "$DATA" --model "$OUT/ours" --block-size 64 --json | tee "$OUT/ours-eval.json"
echo "== PyTorch twin"
/opt/torchenv/bin/python scripts/train/twin.py --data "$DATA" $FLAGS --threads 2 | grep -v '^step' | tee "$OUT/twin.log"
