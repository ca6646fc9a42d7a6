"""GPT-2 (scripts/fixtures/gpt2_torch.py) exported to ONNX, for the ONNX Runtime peers.

bench/onnx_forward.py (ONNX Runtime in Python, for bench/forward.ts) imports export_graphs;
bench/forward-ort-web.ts (onnxruntime-web in Chromium) runs this file on its own, with the
command line of the Python peers, and reads the one JSON line it prints:

    /opt/torchenv/bin/python bench/onnx_export.py MODEL_DIR --ids 1,2,3,... --prompt 16
    -> {"ready": true, "torch": ..., "onnx": ..., "folder": "MODEL_DIR/onnx"}

Needs torch, onnx and onnxscript (not onnxruntime). Two graphs are written to MODEL_DIR/onnx
(about 500 MB each for GPT-2 small's shape), exported with torch.export (strict, so that T
and the cache length stay dynamic) and torch.onnx.export:

- logits.onnx: token ids (T) -> logits (T x V), every position, nothing else;
- step.onnx: one token id and each layer's keys and values so far (P x C each, layer 0's
  keys, its values, layer 1's keys, ...) -> its logits (1 x V), then the keys and values with
  its position appended (P + 1 x C), in the same order. The inputs are named "ids", then
  past_0, past_1, ...; the outputs "logits", then as the exporter names them (cat, cat_1, ...),
  so readers take them in order. It also runs on an empty cache (P = 0), one token at a time.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import torch

from torch_forward import parse_args, prompt_cache

from gpt2_torch import GPT2, load_model_dir  # noqa: E402 - on sys.path through torch_forward


class Logits(torch.nn.Module):
    """ids (T) -> logits (T x V): GPT2.forward as a module, for torch.export."""

    def __init__(self, model: GPT2):
        super().__init__()
        self.model = model

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.model.forward(ids)


class Step(torch.nn.Module):
    """ids (1), then keys and values (P x C) of layer 0, 1, ... -> logits (1 x V), then the
    keys and values with the new position appended (P + 1 x C), in the same order."""

    def __init__(self, model: GPT2):
        super().__init__()
        self.model = model

    def forward(self, ids: torch.Tensor, past: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
        cache = [[past[i], past[i + 1]] for i in range(0, len(past), 2)]
        logits = self.model.forward(ids, cache=cache)
        return (logits, *[t for kv in cache for t in kv])


def export(module: torch.nn.Module, args: tuple, dynamic_shapes: tuple, path: Path) -> None:
    # Strict export (TorchDynamo) keeps the dynamic lengths; the default non-strict one fixes
    # T at the example's length, since GPT2.forward copies its ids with torch.tensor.
    program = torch.export.export(module, args, dynamic_shapes=dynamic_shapes, strict=True)
    # The exporter reports progress on standard output, which the peers' protocol uses: move it aside.
    with contextlib.redirect_stdout(sys.stderr):
        torch.onnx.export(program, args, str(path), input_names=["ids"], output_names=["logits"])


def export_graphs(model: GPT2, ids: list[int], prompt: int, folder: Path) -> None:
    """Writes folder/logits.onnx and folder/step.onnx; ids[: prompt + 1] are the examples."""
    folder.mkdir(exist_ok=True)
    # Example inputs; Dim's minimum is 2 because export treats sizes 0 and 1 as constants.
    n_positions = model.cfg["n_positions"]
    T = torch.export.Dim("T", min=2, max=n_positions)
    P = torch.export.Dim("P", min=2, max=n_positions - 1)
    past = tuple(t for kv in prompt_cache(model, ids[:prompt]) for t in kv)
    export(Logits(model), (torch.tensor(ids[:prompt]),), ({0: T},), folder / "logits.onnx")
    export(Step(model), (torch.tensor(ids[prompt : prompt + 1]), past), (None, ({0: P},) * len(past)), folder / "step.onnx")


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    torch.set_num_threads(1)  # the export is not timed; leave the other core to the machine
    folder = Path(args.model_dir) / "onnx"
    export_graphs(load_model_dir(Path(args.model_dir)), args.ids, args.prompt, folder)
    import onnx

    print(json.dumps({"ready": True, "torch": torch.__version__, "onnx": onnx.__version__, "folder": str(folder)}), flush=True)


if __name__ == "__main__":
    main()
