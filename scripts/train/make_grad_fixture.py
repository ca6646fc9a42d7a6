# Writes tests/fixtures/train/grad-fixture.json: a tiny GPT-2 (weights in GPT-2's Conv1D layout),
# one batch, PyTorch's loss and gradients for it, and the weights after one AdamW step with
# gradient clipping, so tests/train-parity.test.ts can check our trainer against PyTorch.
# Run: /opt/torchenv/bin/python scripts/train/make_grad_fixture.py
import json
import math
import os

import torch

torch.manual_seed(0)
L, NH, C, V, P, B, T = 2, 2, 8, 13, 8, 2, 6
EPS = 1e-5
LR, WD, BETAS, ADAM_EPS, CLIP = 1e-2, 0.1, (0.9, 0.99), 1e-8, 0.5


def shapes():
    out = [("wte.weight", [V, C]), ("wpe.weight", [P, C])]
    for l in range(L):
        h = f"h.{l}"
        out += [
            (f"{h}.ln_1.weight", [C]), (f"{h}.ln_1.bias", [C]),
            (f"{h}.attn.c_attn.weight", [C, 3 * C]), (f"{h}.attn.c_attn.bias", [3 * C]),
            (f"{h}.attn.c_proj.weight", [C, C]), (f"{h}.attn.c_proj.bias", [C]),
            (f"{h}.ln_2.weight", [C]), (f"{h}.ln_2.bias", [C]),
            (f"{h}.mlp.c_fc.weight", [C, 4 * C]), (f"{h}.mlp.c_fc.bias", [4 * C]),
            (f"{h}.mlp.c_proj.weight", [4 * C, C]), (f"{h}.mlp.c_proj.bias", [C]),
        ]
    return out + [("ln_f.weight", [C]), ("ln_f.bias", [C])]


params = {}
for name, shape in shapes():
    gain = name.endswith(".weight") and len(shape) == 1
    # Values rounded to float32 so both sides start from exactly the same numbers.
    value = (1.0 if gain else 0.0) + 0.3 * torch.randn(shape)
    params[name] = value.float().double().requires_grad_(True)


def gelu(x):
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def forward(ids):
    p = params
    x = p["wte.weight"][ids] + p["wpe.weight"][:T]
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    hs = C // NH
    for l in range(L):
        h = f"h.{l}"
        a = torch.nn.functional.layer_norm(x, (C,), p[f"{h}.ln_1.weight"], p[f"{h}.ln_1.bias"], EPS)
        qkv = a @ p[f"{h}.attn.c_attn.weight"] + p[f"{h}.attn.c_attn.bias"]
        q, k, v = qkv.split(C, dim=-1)
        q, k, v = (t.view(B, T, NH, hs).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hs)
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        x = x + y @ p[f"{h}.attn.c_proj.weight"] + p[f"{h}.attn.c_proj.bias"]
        m = torch.nn.functional.layer_norm(x, (C,), p[f"{h}.ln_2.weight"], p[f"{h}.ln_2.bias"], EPS)
        f = gelu(m @ p[f"{h}.mlp.c_fc.weight"] + p[f"{h}.mlp.c_fc.bias"])
        x = x + f @ p[f"{h}.mlp.c_proj.weight"] + p[f"{h}.mlp.c_proj.bias"]
    x = torch.nn.functional.layer_norm(x, (C,), p["ln_f.weight"], p["ln_f.bias"], EPS)
    return x @ p["wte.weight"].T  # tied head


ids = torch.randint(0, V, (B, T))
targets = torch.randint(0, V, (B, T))
before = {n: t.detach().clone() for n, t in params.items()}
logits = forward(ids)
loss = torch.nn.functional.cross_entropy(logits.view(-1, V), targets.view(-1))
loss.backward()
grads = {n: t.grad.detach().clone() for n, t in params.items()}
norm = torch.nn.utils.clip_grad_norm_(list(params.values()), CLIP)
decay = [t for n, t in params.items() if t.dim() >= 2]
no_decay = [t for n, t in params.items() if t.dim() < 2]
opt = torch.optim.AdamW(
    [{"params": decay, "weight_decay": WD}, {"params": no_decay, "weight_decay": 0.0}],
    lr=LR, betas=BETAS, eps=ADAM_EPS,
)
opt.step()

flat = lambda t: [float(v) for v in t.detach().reshape(-1)]  # noqa: E731
fixture = {
    "about": "made by scripts/train/make_grad_fixture.py with torch " + torch.__version__ + " in float64",
    "config": {"n_layer": L, "n_head": NH, "n_embd": C, "vocab_size": V, "n_positions": P, "layer_norm_epsilon": EPS},
    "batch": B, "block": T,
    "optimizer": {"lr": LR, "weight_decay": WD, "beta1": BETAS[0], "beta2": BETAS[1], "eps": ADAM_EPS, "grad_clip": CLIP},
    "inputs": ids.reshape(-1).tolist(), "targets": targets.reshape(-1).tolist(),
    "loss": float(loss.detach()), "grad_norm": float(norm),
    "params": {n: flat(t) for n, t in before.items()},
    "grads": {n: flat(t) for n, t in grads.items()},
    "after_step": {n: flat(t) for n, t in params.items()},
}
out = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "train", "grad-fixture.json")
with open(out, "w") as f:
    json.dump(fixture, f)
print(f"wrote {os.path.normpath(out)}: loss {float(loss.detach()):.6f}, grad norm {float(norm):.6f}")
