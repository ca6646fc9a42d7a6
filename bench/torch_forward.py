"""PyTorch's side of bench/forward.ts: times the same GPT-2 forward pass on the same weights.

Started by bench/forward.ts (not usually by hand), which sends one JSON request per line on
standard input and reads one JSON answer per line, so that its own measurements and these
take turns and share whatever else the machine is doing:

    /opt/torchenv/bin/python bench/torch_forward.py MODEL_DIR --ids 1,2,3,... --prompt 16

    {"op": "forward", "T": 16, "threads": 2}   -> {"ms": ...}        traced forward pass
    {"op": "forward", "T": 16, "trace": false} -> {"ms": ...}        logits only, untraced
    {"op": "decode", "n": 32, "threads": 1}    -> {"ms": ...}        per token, cached decoding
    {"op": "logits", "T": 16}                  -> {"logits": [...]}  last position's logits
    {"op": "peak-memory"}                      -> {"bytes": ...}     the process's peak resident memory

A request that fails is answered {"error": "..."}. The model is scripts/fixtures/gpt2_torch.py,
the reference the parity fixtures come from. bench/onnx_forward.py (ONNX Runtime) speaks the
same protocol and reuses the helpers below.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts" / "fixtures"))
from gpt2_torch import GPT2, load_model_dir  # noqa: E402


def parse_args(description: str) -> argparse.Namespace:
    """The command line bench/forward.ts gives each peer."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("model_dir")
    ap.add_argument("--ids", required=True, help="comma-separated token ids to draw inputs from")
    ap.add_argument("--prompt", type=int, default=16, help="prompt length before cached decoding")
    args = ap.parse_args()
    args.ids = [int(s) for s in args.ids.split(",")]
    return args


def timed_ms(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return (time.perf_counter() - start) * 1000


def serve(hello: dict, answer: Callable[[dict], dict]) -> None:
    """Prints `hello`, then one JSON answer per JSON request line until standard input ends.
    Every peer also answers "peak-memory" here. A failing request is answered with its error,
    so the benchmark can go on without it."""
    print(json.dumps({"ready": True, **hello}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        try:
            if req.get("op") == "peak-memory":
                # The most this process has held in memory so far (Linux reports kilobytes).
                reply = {"bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}
            else:
                reply = answer(req)
        except Exception as e:  # noqa: BLE001 - reported to bench/forward.ts, which decides
            reply = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(reply), flush=True)


def prompt_cache(model: GPT2, ids: list[int]) -> list:
    """The KV cache (one [keys, values] per layer) after running `ids`."""
    cache: list = []
    model.forward(ids, cache=cache)
    return cache


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    ids, prompt = args.ids, args.prompt
    model = load_model_dir(Path(args.model_dir))

    def answer(req: dict) -> dict:
        if "threads" in req:
            torch.set_num_threads(req["threads"])
        if req["op"] == "forward":
            # Traced by default: records every intermediate like our traced pass does.
            trace = {} if req.get("trace", True) else None
            return {"ms": timed_ms(lambda: model.forward(ids[: req["T"]], trace=trace))}
        if req["op"] == "decode":
            cache = prompt_cache(model, ids[:prompt])

            def steps() -> None:
                for t in range(prompt, prompt + req["n"]):
                    model.forward([ids[t]], cache=cache)

            return {"ms": timed_ms(steps) / req["n"]}
        if req["op"] == "logits":
            return {"logits": [float(x) for x in model.forward(ids[: req["T"]])[-1]]}
        return {"error": f"unknown op {req['op']!r}"}

    # Which of PyTorch's vectorized kernel sets runs (ATEN_CPU_CAPABILITY can lower it).
    serve({"torch": torch.__version__, "capability": torch.backends.cpu.get_cpu_capability()}, answer)


if __name__ == "__main__":
    main()
