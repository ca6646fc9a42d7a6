"""ONNX Runtime's side of bench/forward.ts: the same GPT-2 on the same weights, exported to ONNX.

Started by bench/forward.ts like bench/torch_forward.py, with the same command line and the
same line protocol (one JSON request per line, one JSON answer per line):

    /opt/torchenv/bin/python bench/onnx_forward.py MODEL_DIR --ids 1,2,3,... --prompt 16

    {"op": "forward", "T": 16, "trace": false, "threads": 2} -> {"ms": ...}  logits only
    {"op": "decode", "n": 32, "threads": 1}  -> {"ms": ...}  per token, cached decoding
    {"op": "logits", "T": 16}  -> {"logits": [...], "decoded": [...]}
    {"op": "peak-memory"}  -> {"bytes": ...}  the process's peak resident memory

It loads the model with scripts/fixtures/gpt2_torch.py and exports two graphs into
MODEL_DIR/onnx with bench/onnx_export.py (about 500 MB each for GPT-2 small's shape; the
benchmark deletes the folder):

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

from gpt2_torch import load_model_dir  # noqa: E402 - on sys.path through torch_forward
from onnx_export import export_graphs  # noqa: E402


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
    export_graphs(model, ids, prompt, folder)
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
