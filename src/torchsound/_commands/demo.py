"""``torchsound demo``: the main job on the bundled sample, one step per area of the library.

Each area contributes ``torchsound._demo.<area>.run(sample, out_dir) -> list[str]`` returning
lines to print (paths of what it wrote, measured numbers).
"""

from __future__ import annotations

import importlib
import os
import time

_STEPS = ["io", "spectral", "dsp", "kaldi", "sox"]


def register(sub) -> None:
    p = sub.add_parser("demo", help="run every area of torchsound on the bundled sample")
    p.add_argument("-o", "--out", default="demo-output", help="folder for the outputs (default: demo-output)")
    p.set_defaults(handler=run)


def run(args) -> int:
    from torchsound.utils import sample_path

    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    sample = sample_path()
    print(f"torchsound demo on {sample}")
    for step in _STEPS:
        try:
            module = importlib.import_module(f"torchsound._demo.{step}")
        except ModuleNotFoundError as err:
            if err.name != f"torchsound._demo.{step}":
                raise
            continue
        t0 = time.perf_counter()
        lines = module.run(sample, out)
        print(f"\n[{step}] ({time.perf_counter() - t0:.2f} s)")
        for line in lines:
            print(f"  {line}")
    print(f"\nOutputs are in {out}")
    return 0
