"""Reference data for server/diffusion/noise.ts: torch.manual_seed(seed); torch.randn(shape) on CPU.

Run with Debian's Python (it has torch 1.13):  /usr/bin/python3 scripts/reference/torch_randn.py
Writes tests/fixtures/torch-randn.json. Values are float32 bit patterns in hex (exact); `sum` is the
exact float64 sum (math.fsum) of all values.
"""

import json
import math
import os
import random

import numpy as np
import torch

HEAD, TAIL = 40, 8
SEEDS = [0, 1, 42, 12345, 2**32 - 1, 2**32, 2**53 + 1, 2**63, 2**64 - 1]
SEEDS += [random.Random(20240607 + k).getrandbits(64) for k in range(3)]  # a few fixed "random" large seeds
SHAPES = [[1], [7], [15], [16], [17], [31], [33], [256], [1, 4, 8, 8], [1, 4, 64, 64]]
# One generator used repeatedly: torch.randn(a); torch.randn(b); ... (tests the stream and the cached normal).
CONTINUATIONS = [
    (42, [7, 20, 3, 16384, 5, 1, 33]),
    (0, [1, 1, 16, 15, 17, 2]),
    (2**64 - 1, [256, 9, 4096]),
]


def hexes(a: np.ndarray) -> list[str]:
    return [f"{int(b):08x}" for b in a.astype(np.float32).view(np.uint32)]


def summary(a: torch.Tensor) -> dict:
    flat = a.flatten().numpy()
    return {
        "count": int(flat.size),
        "head": hexes(flat[:HEAD]),
        "tail": hexes(flat[-TAIL:]) if flat.size > HEAD else [],
        "sum": math.fsum(float(x) for x in flat),
    }


def main() -> None:
    cases = []
    for seed in SEEDS:
        for shape in SHAPES:
            torch.manual_seed(seed)
            cases.append({"seed": str(seed), "shape": shape, **summary(torch.randn(shape))})
    continuations = []
    for seed, counts in CONTINUATIONS:
        gen = torch.Generator().manual_seed(seed)
        continuations.append(
            {"seed": str(seed), "draws": [{**summary(torch.randn(n, generator=gen))} for n in counts]}
        )
    out = {
        "generator": f"torch {torch.__version__} CPU, capability {torch.__config__.show().split('CPU capability usage: ')[1].split()[0]}",
        "cases": cases,
        "continuations": continuations,
    }
    path = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "torch-randn.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {os.path.normpath(path)} ({os.path.getsize(path)} bytes, {len(cases)} cases)")


if __name__ == "__main__":
    main()
