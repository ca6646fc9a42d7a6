"""Random-weight checkpoints of GPT-2's four sizes, for bench/big-models.ts: config.json from
Hugging Face transformers' GPT2Config, and weights initialised by transformers'
GPT2LMHeadModel (normal(0, 0.02), the residual projections scaled by 1/sqrt(2 n_layer), as for
pretraining), saved as one F32 model.safetensors with transformers' names and without the tied
head, as the released checkpoints are. Large and XL are 3.1 and 6.2 GB: write them outside the
repository. A folder that is already complete is left alone, so the slow ones are made once.

The file is written one tensor at a time (the format is an 8-byte header length, a JSON header,
then each tensor's bytes), so the peak memory is the model once (6.2 GB for XL), not the model
plus a serialised copy of it; safetensors then reads the file back and compares every tensor.

Run: /opt/torchenv/bin/python scripts/big_models.py /work/bigmodels [small medium large xl]
"""
import json
import struct
import sys
from pathlib import Path

import torch
from safetensors import safe_open
from transformers import GPT2Config, GPT2LMHeadModel

SIZES = {  # n_layer, n_head, n_embd: GPT-2's released shapes
    "small": (12, 12, 768),
    "medium": (24, 16, 1024),
    "large": (36, 20, 1280),
    "xl": (48, 25, 1600),
}


def write_safetensors(tensors: dict, path: Path) -> None:
    """F32 tensors in safetensors' layout, sorted by name as its own writer sorts them."""
    header, offset = {}, 0
    for name in sorted(tensors):
        t = tensors[name]
        size = t.numel() * 4
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + size]}
        offset += size
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":"))
    text += " " * ((8 - len(text) % 8) % 8)  # the data starts 8-byte aligned, as safetensors writes it
    partial = path.with_suffix(".partial")
    with open(partial, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text.encode("utf-8"))
        for name in sorted(tensors):
            f.write(tensors[name].detach().contiguous().to(torch.float32).numpy().tobytes())
    partial.rename(path)


def make(size: str, out: Path) -> None:
    folder = out / f"gpt2-{size}"
    if (folder / "config.json").exists() and (folder / "model.safetensors").exists():
        print(f"{folder}: already there")
        return
    n_layer, n_head, n_embd = SIZES[size]
    config = GPT2Config(n_layer=n_layer, n_head=n_head, n_embd=n_embd)
    torch.manual_seed(0)
    model = GPT2LMHeadModel(config).eval()
    # The names save_pretrained writes: persistent parameters and buffers, the tied head left out.
    state = {k: v for k, v in model.state_dict().items() if k != "lm_head.weight"}
    folder.mkdir(parents=True, exist_ok=True)
    write_safetensors(state, folder / "model.safetensors")
    with safe_open(folder / "model.safetensors", framework="pt") as f:
        assert set(f.keys()) == set(state), "the file's tensors are not the model's"
        for name in f.keys():
            assert torch.equal(f.get_tensor(name), state[name]), f"{name} differs after writing"
    config.save_pretrained(folder)  # last: a folder without config.json is not a model yet
    count = sum(v.numel() for v in state.values())
    print(f"{folder}: {count:,} parameters, {(folder / 'model.safetensors').stat().st_size:,} bytes")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = Path(sys.argv[1])
    for size in sys.argv[2:] or list(SIZES):
        if size not in SIZES:
            sys.exit(f"unknown size {size!r}; choose from {', '.join(SIZES)}")
        make(size, out)
