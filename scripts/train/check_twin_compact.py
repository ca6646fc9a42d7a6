# Checks that the twin's compact output vocabulary (twin_model.py) computes what the full
# vocabulary computes from the same start (absent tokens' rows all equal to the shared row):
# the loss (also on targets that are absent tokens), every gradient, the clip norm, and the
# weights after a few AdamW steps with clipping. A small model and vocabulary, float64, so any
# difference beyond rounding shows. Exits 1 if anything differs.
#
# Run: /opt/torchenv/bin/python scripts/train/check_twin_compact.py
import sys

import torch
import torch.nn.functional as F

from twin_model import GPT, CompactVocab

torch.set_default_dtype(torch.float64)
torch.manual_seed(0)
V, C, L, NH, T, B = 40, 16, 2, 2, 6, 3
train_ids = torch.randint(0, 25, (200,))  # tokens 25…39 never occur in training
vocab = CompactVocab(train_ids, V)
full_vocab = CompactVocab(train_ids, V, full=True)
assert vocab.shared == 15 and vocab.size == 26, (vocab.shared, vocab.size)

compact = GPT(vocab, C, L, NH, T, dropout=0.0)
full = GPT(full_vocab, C, L, NH, T, dropout=0.0)
# Larger weights than GPT-2's start, so every gradient is well above rounding.
with torch.no_grad():
    for w in compact.parameters():
        w.add_(0.3 * torch.randn_like(w))
    for (name, w_full), w_compact in zip(full.named_parameters(), compact.parameters()):
        w_full.copy_(w_compact[vocab.to_compact] if name == "wte.weight" else w_compact)

worst = {}


def compare(what, a, b):
    diff = float((torch.as_tensor(a) - torch.as_tensor(b)).abs().max())
    worst[what] = max(worst.get(what, 0.0), diff)


def batch(ids):
    ix = torch.randint(len(ids) - T, (B,))
    return torch.stack([ids[i : i + T] for i in ix]), torch.stack([ids[i + 1 : i + 1 + T] for i in ix])


# Loss on targets that include absent tokens (as validation text does).
val_ids = torch.randint(0, V, (60,))
x, y = batch(val_ids)
assert bool((y >= 25).any())
compare("val loss", compact(vocab.ids(x), vocab.ids(y)).item(), full(x, y).item())

# Label smoothing: the full model's smoothed loss is PyTorch's own; the compact model's equals it.
for eps in (0.1, 0.3):
    x, y = batch(train_ids)
    own = F.cross_entropy(full.logits(x).view(-1, V), y.view(-1), label_smoothing=eps).item()
    compare("smoothed loss", full(x, y, smoothing=eps).item(), own)
    compare("smoothed loss", compact(vocab.ids(x), vocab.ids(y), smoothing=eps).item(), own)

SMOOTHING = [0.0, 0.0, 0.1, 0.1, 0.3]  # later steps train with smoothed targets
opts = [
    torch.optim.AdamW(m.parameters(), lr=1e-2, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.1) for m in (compact, full)
]
for step in range(5):
    x, y = batch(train_ids)
    losses = []
    for m, opt, (xi, yi) in ((compact, opts[0], (vocab.ids(x), vocab.ids(y))), (full, opts[1], (x, y))):
        opt.zero_grad(set_to_none=True)
        loss = m(xi, yi, smoothing=SMOOTHING[step])
        loss.backward()
        m.full_vocab_grads()
        losses.append(loss.item())
    compare("train loss", *losses)
    g_compact = dict(compact.named_parameters())
    for name, w in full.named_parameters():
        gc = g_compact[name].grad
        compare("gradients", gc[vocab.to_compact] if name == "wte.weight" else gc, w.grad)
    compare("grad norm", compact.grad_norm(), full.grad_norm())
    # And the full model's norm is what PyTorch's own clipping measures.
    compare("grad norm", full.grad_norm(), float(torch.nn.utils.get_total_norm([p.grad for p in full.parameters()])))
    if step == 0:
        print(f"step 1: loss {losses[0]:.12f} (compact) {losses[1]:.12f} (full); grad norm {compact.grad_norm():.12f} (compact) {full.grad_norm():.12f} (full)")
    for m, opt in zip((compact, full), opts):
        m.clip_grads(0.5)  # below the norm, so clipping acts
        opt.step()
    with torch.no_grad():
        for name, w in full.named_parameters():
            wc = g_compact[name]
            compare("weights after AdamW", wc[vocab.to_compact] if name == "wte.weight" else wc, w)

ok = True
for what, diff in worst.items():
    good = diff < 1e-9
    ok &= good
    print(f"{what:22s} largest difference {diff:.3e} {'ok' if good else 'DIFFERS'}")
print(f"compact ({vocab.size} rows, {vocab.shared} shared) {'equals' if ok else 'does NOT equal'} full ({V} rows)")
sys.exit(0 if ok else 1)
