"""ONNX Runtime's side of bench/forward.ts: the same GPT-2 on the same weights, exported to ONNX.

Started by bench/forward.ts like bench/torch_forward.py, with the same command line and the
same line protocol (one JSON request per line, one JSON answer per line):

    /opt/torchenv/bin/python bench/onnx_forward.py MODEL_DIR --ids 1,2,3,... --prompt 16

    {"op": "forward", "T": 16, "trace": false, "threads": 2} -> {"ms": ...}  logits only
    {"op": "decode", "n": 32, "threads": 1}  -> {"ms": ...}  per token, cached decoding
    {"op": "logits", "T": 16}  -> {"logits": [...], "decoded": [...]}
    {"op": "peak-memory"}  -> {"bytes": ...}  the process's peak resident memory

It loads the model with scripts/fixtures/gpt2_torch.py, exports two graphs with
torch.export (strict, so that T and the cache length stay dynamic) and torch.onnx.export into
MODEL_DIR/onnx (about 500 MB each for GPT-2 small's shape; the benchmark deletes the folder):

- "logits": token ids (T) -> logits (T x V). ONNX Runtime cannot hand back every
  intermediate tensor cheaply, so there is no traced pass: "forward" refuses trace=true.
- "step": one token id and each layer's keys and values so far (P x C each) -> its logits
  (1 x V) and the keys and values with its position appended, for cached decoding. The
  prompt's cache comes from PyTorch (untimed), as in torch_forward.py.

Each graph gets one CPU session per thread count (intra-op threads 1 or 2, inter-op 1,
sequential execution), made before "ready" so that no request pays for it. "logits" answers
the last position's logits from both graphs: "decoded" is the step graph's, after a cache of
T - 1 positions, so bench/forward.ts can check both against its own.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import numpy as np
import torch

from torch_forward import parse_args, prompt_cache, serve, timed_ms

THREADS = (1, 2)

try:
    import onnxruntime as ort
except Exception as e:  # noqa: BLE001 - any failure to import means: no ONNX peer
    # bench/forward.ts prints this line and goes on without ONNX Runtime.
    print(json.dumps({"error": f"onnxruntime does not import in {sys.executable}: {type(e).__name__}: {e}"}), flush=True)
    sys.exit(0)

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
    # The exporter reports progress on standard output, which is the protocol's: move it aside.
    with contextlib.redirect_stdout(sys.stderr):
        torch.onnx.export(program, args, str(path), input_names=["ids"], output_names=["logits"])


def session(path: Path, threads: int) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # By default idle ONNX Runtime threads spin for a while after each run, taking a core from
    # whichever side is timed next; the sides take turns, so they must not.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    ids, prompt = args.ids, args.prompt
    # PyTorch here only exports and fills prompts' caches, untimed; one thread keeps its idle
    # pool from spinning beside ONNX Runtime's threads.
    torch.set_num_threads(1)
    model = load_model_dir(Path(args.model_dir))
    folder = Path(args.model_dir) / "onnx"
    folder.mkdir(exist_ok=True)

    # Example inputs; Dim's minimum is 2 because export treats sizes 0 and 1 as constants.
    n_positions = model.cfg["n_positions"]
    T = torch.export.Dim("T", min=2, max=n_positions)
    P = torch.export.Dim("P", min=2, max=n_positions - 1)
    past = tuple(t for kv in prompt_cache(model, ids[:prompt]) for t in kv)
    export(Logits(model), (torch.tensor(ids[:prompt]),), ({0: T},), folder / "logits.onnx")
    export(Step(model), (torch.tensor(ids[prompt : prompt + 1]), past), (None, ({0: P},) * len(past)), folder / "step.onnx")
    sessions = {(graph, n): session(folder / f"{graph}.onnx", n) for graph in ("logits", "step") for n in THREADS}
    step_inputs = [i.name for i in sessions["step", 1].get_inputs()]  # ids, then the cache

    def logits(T: int, threads: int = 1) -> np.ndarray:
        return sessions["logits", threads].run(None, {"ids": np.array(ids[:T], dtype=np.int64)})[0]

    def cache(start: int) -> list[np.ndarray]:
        """PyTorch's keys and values after ids[:start], as the step graph's inputs."""
        return [t.numpy() for kv in prompt_cache(model, ids[:start]) for t in kv]

    def steps(feed: list[np.ndarray], start: int, n: int, threads: int = 1) -> np.ndarray:
        """Decodes ids[start : start + n] one at a time on the cache `feed`; the last logits."""
        for t in range(start, start + n):
            out = sessions["step", threads].run(None, dict(zip(step_inputs, [np.array([ids[t]], dtype=np.int64), *feed])))
            feed = out[1:]
        return out[0]

    def answer(req: dict) -> dict:
        threads = req.get("threads", 1)
        if req["op"] == "forward":
            if req.get("trace", True):
                return {"error": "ONNX Runtime has no traced forward pass; ask with trace false"}
            return {"ms": timed_ms(lambda: logits(req["T"], threads))}
        if req["op"] == "decode":
            feed = cache(prompt)  # untimed, as in torch_forward.py
            return {"ms": timed_ms(lambda: steps(feed, prompt, req["n"], threads)) / req["n"]}
        if req["op"] == "logits":
            return {
                "logits": [float(x) for x in logits(req["T"])[-1]],
                "decoded": [float(x) for x in steps(cache(req["T"] - 1), req["T"] - 1, 1)[-1]],
            }
        return {"error": f"unknown op {req['op']!r}"}

    serve({"onnxruntime": ort.__version__}, answer)


if __name__ == "__main__":
    main()
