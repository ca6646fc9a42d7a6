# The PyTorch twin's model and its compact output vocabulary (used by twin.py and checked by
# check_twin_compact.py), written to match our trainer (src/train/model.ts, src/train/vocab.ts).
#
# Compact vocabulary: tokens absent from the training split are never inputs or targets, so the
# only gradient their rows get is the softmax's. Started from one shared row (as our trainer
# starts them), they stay equal forever, so the model keeps them as ONE row (the last) that
# stands for `shared` tokens:
# - loss: logsumexp over the present rows plus log(shared) + the shared row's logit (exactly the
#   full vocabulary's normaliser); a target in the shared row is one of its tokens;
# - gradient: autograd gives the shared row the sum over its `shared` tokens; each token's own
#   row (what the full model's optimiser sees) gets 1/shared of it;
# - clip norm: that per-token gradient counts `shared` times.
import math

import torch
import torch.nn.functional as F


class CompactVocab:
    """Full ids -> compact ids; the absent tokens share the last row. shared = 0: no compaction."""

    def __init__(self, train_ids, vocab_size, full=False):
        present = torch.zeros(vocab_size, dtype=torch.bool)
        present[train_ids] = True
        count = int(present.sum())
        self.full_size = vocab_size
        if full or count == vocab_size:
            self.size, self.shared = vocab_size, 0
            self.to_compact = torch.arange(vocab_size)
            return
        self.size, self.shared = count + 1, vocab_size - count
        self.to_compact = torch.full((vocab_size,), count, dtype=torch.long)
        self.to_compact[present] = torch.arange(count)

    def ids(self, full_ids):
        return self.to_compact[full_ids]


class Block(torch.nn.Module):
    def __init__(self, C, NH, dropout):
        super().__init__()
        self.C, self.NH = C, NH
        self.ln_1, self.ln_2 = torch.nn.LayerNorm(C), torch.nn.LayerNorm(C)
        self.c_attn, self.attn_proj = torch.nn.Linear(C, 3 * C), torch.nn.Linear(C, C)
        self.c_fc, self.mlp_proj = torch.nn.Linear(C, 4 * C), torch.nn.Linear(4 * C, C)
        self.drop = torch.nn.Dropout(dropout)

    def forward(self, x):
        b, t, C = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        q, k, v = (z.view(b, t, self.NH, C // self.NH).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.drop(self.attn_proj(y.transpose(1, 2).reshape(b, t, C)))
        return x + self.drop(self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh")))


class GPT(torch.nn.Module):
    """GPT-2 blocks, tied head, over `vocab.size` rows (all V, or the compact rows)."""

    def __init__(self, vocab, C, L, NH, T, dropout):
        super().__init__()
        self.shared = vocab.shared
        self.wte, self.wpe = torch.nn.Embedding(vocab.size, C), torch.nn.Embedding(T, C)
        self.h = torch.nn.ModuleList(Block(C, NH, dropout) for _ in range(L))
        self.ln_f = torch.nn.LayerNorm(C)
        self.drop = torch.nn.Dropout(dropout)
        # GPT-2's initialisation; with a compact vocabulary the absent tokens' one row is drawn once.
        for name, w in self.named_parameters():
            if name.endswith("bias"):
                torch.nn.init.zeros_(w)
            elif w.dim() >= 2:
                std = 0.02 / math.sqrt(2 * L) if name.endswith("proj.weight") else 0.02
                torch.nn.init.normal_(w, 0.0, std)
        # log(shared) added to the shared row's logit: it then weighs as its `shared` tokens do.
        offset = torch.zeros(vocab.size)
        if self.shared > 0:
            offset[-1] = math.log(self.shared)
        self.register_buffer("logit_offset", offset, persistent=False)

    def logits(self, idx):
        """(b, t, rows): each row's logit plus log(shared) on the shared row."""
        x = self.drop(self.wte(idx) + self.wpe(torch.arange(idx.shape[1])))
        for block in self.h:
            x = block(x)
        return self.ln_f(x) @ self.wte.weight.T + self.logit_offset

    def forward(self, idx, targets, smoothing=0.0):
        """Mean -log p(target) over the full vocabulary (ids are compact ids). smoothing = ε: the
        training loss against targets smoothed over the full vocabulary, (1 - ε)·CE + ε·(mean over
        all V tokens of -log p); evaluation always uses ε = 0."""
        logits = self.logits(idx)
        losses = F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1), reduction="none")
        if self.shared > 0:
            # A target in the shared row is one token of `shared`: remove the offset it was given.
            losses = losses + (targets.view(-1) == self.wte.weight.shape[0] - 1) * self.logit_offset[-1]
        if smoothing > 0:
            flat = logits.view(-1, logits.shape[-1])
            raw = flat - self.logit_offset  # each row's own logit
            weights = torch.ones(flat.shape[-1])
            if self.shared > 0:
                weights[-1] = self.shared
            full_v = float(weights.sum())
            uniform = torch.logsumexp(flat, dim=-1) - (raw * weights).sum(-1) / full_v
            losses = (1 - smoothing) * losses + smoothing * uniform
        return losses.mean()

    def full_vocab_grads(self):
        """After backward: the shared row's gradient becomes each of its tokens' (1/shared of the sum)."""
        if self.shared > 0:
            self.wte.weight.grad[-1] /= self.shared

    def grad_norm(self):
        """The global gradient norm of the full model: the shared row's gradient counts `shared` times."""
        total = sum(float(p.grad.double().pow(2).sum()) for p in self.parameters() if p.grad is not None)
        if self.shared > 1:
            total += (self.shared - 1) * float(self.wte.weight.grad[-1].double().pow(2).sum())
        return math.sqrt(total)

    def clip_grads(self, max_norm):
        """As torch.nn.utils.clip_grad_norm_ does, with the full model's norm; returns the norm."""
        norm = self.grad_norm()
        scale = max_norm / (norm + 1e-6)
        if scale < 1:
            for p in self.parameters():
                if p.grad is not None:
                    p.grad.mul_(scale)
        return norm
