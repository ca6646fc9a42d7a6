"""PyTorch's side of bench/forward.ts: times the same GPT-2 forward pass on the same weights.

Started by bench/forward.ts (not usually by hand), which sends one JSON request per line on
standard input and reads one JSON answer per line, so that its own measurements and these
take turns and share whatever else the machine is doing:

    /opt/torchenv/bin/python bench/torch_forward.py MODEL_DIR --ids 1,2,3,... --prompt 16

    {"op": "forward", "T": 16, "threads": 2}   -> {"ms": ...}        traced forward pass
    {"op": "decode", "n": 32, "threads": 1}    -> {"ms": ...}        per token, cached decoding
    {"op": "logits", "T": 16}                  -> {"logits": [...]}  last position's logits

The model is scripts/fixtures/gpt2_torch.py, the reference the parity fixtures come from.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts" / "fixtures"))
from gpt2_torch import load_model_dir  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model_dir")
    ap.add_argument("--ids", required=True, help="comma-separated token ids to draw inputs from")
    ap.add_argument("--prompt", type=int, default=16, help="prompt length before cached decoding")
    args = ap.parse_args()

    ids = [int(s) for s in args.ids.split(",")]
    model = load_model_dir(Path(args.model_dir))
    print(json.dumps({"ready": True, "torch": torch.__version__}), flush=True)

    for line in sys.stdin:
        req = json.loads(line)
        if "threads" in req:
            torch.set_num_threads(req["threads"])
        if req["op"] == "forward":
            # Records every intermediate like our traced pass does, so both do the same work.
            start = time.perf_counter()
            model.forward(ids[: req["T"]], trace={})
            answer = {"ms": (time.perf_counter() - start) * 1000}
        elif req["op"] == "decode":
            cache: list = []
            model.forward(ids[: args.prompt], cache=cache)
            start = time.perf_counter()
            for t in range(args.prompt, args.prompt + req["n"]):
                model.forward([ids[t]], cache=cache)
            answer = {"ms": (time.perf_counter() - start) * 1000 / req["n"]}
        elif req["op"] == "logits":
            answer = {"logits": [float(x) for x in model.forward(ids[: req["T"]])[-1]]}
        else:
            answer = {"error": f"unknown op {req['op']!r}"}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
