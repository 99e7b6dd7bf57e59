"""Perception adapters: frames per second and peak memory, inference and with gradients.

Usage::

    python benchmarks/perception_speed.py [--frames 4] [--skip-full]

For each adapter (SAM 2 video, RAFT, Depth Anything V2), the tiny test configuration and the
full-size architecture with random weights (timing does not need trained weights): SAM 2 with
``Sam2VideoConfig()`` defaults (image size 1024), ``raft_large`` (20 flow updates),
``DepthAnythingConfig()`` (ViT-S, 518² input); SAM 2 also at the reduced size 256 (``full@256``,
as PISA ran it). Input: a random 256² video of ``--frames`` frames.
Each measurement runs in its own process; the peak is the process's max resident memory (CPU)
or the peak CUDA allocation (GPU).
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time

from isolated import run_isolated  # benchmarks/isolated.py (the script folder is on sys.path)


def measure(adapter: str, size: str, grad: bool, frames: int) -> dict:
    import numpy as np
    import torch

    from evaluation.perception import depth as D
    from evaluation.perception import raft as R
    from evaluation.perception.sam2 import Sam2Segmenter, save_tiny_sam2

    rng = np.random.default_rng(0)
    video = (rng.random((frames, 256, 256, 3)) * 255).astype(np.uint8)
    vid = torch.tensor(video, dtype=torch.float32).permute(0, 3, 1, 2)
    tmp = tempfile.mkdtemp()
    if adapter == "sam2":
        if size == "tiny":
            save_tiny_sam2(tmp)
        else:
            from transformers import Sam2VideoConfig, Sam2VideoModel

            from evaluation.perception.sam2 import save_tiny_sam2 as _processor_only

            _processor_only(tmp, image_size=1024)  # processor at 1024; model replaced below
            Sam2VideoModel(Sam2VideoConfig()).save_pretrained(tmp)
        seg = Sam2Segmenter(tmp, device="cpu", image_size=256 if size == "full@256" else None)
        gt = np.zeros((1, 256, 256), bool)
        gt[0, 80:160, 80:160] = True

        def run():
            if grad:
                v = vid.clone().requires_grad_(True)
                seg.soft_masks(v, gt).mean().backward()
            else:
                seg.segment(video, masks=gt)
    elif adapter == "raft":
        model = R.build_raft("raft_tiny" if size == "tiny" else "raft_large", weights=None, device="cpu")

        def run():
            if grad:
                v = vid.clone().requires_grad_(True)
                R.flow_differentiable(model, v).abs().mean().backward()
            else:
                R.flow(model, video)
    else:
        if size == "tiny":
            D.save_tiny_depth(tmp)
        else:
            from transformers import DepthAnythingConfig, DepthAnythingForDepthEstimation

            DepthAnythingForDepthEstimation(DepthAnythingConfig()).save_pretrained(tmp)
        model = D.build_depth(tmp, device="cpu")
        input_size = 56 if size == "tiny" else D.INPUT_SIZE

        def run():
            v = vid.clone().requires_grad_(grad)
            with torch.set_grad_enabled(grad):
                d = D.depth_differentiable(model, v, input_size=input_size)
                if grad:
                    D.minmax_per_frame(d).mean().backward()

    t0 = time.perf_counter()
    run()
    dt = time.perf_counter() - t0
    n = frames - 1 if adapter == "raft" else frames
    return {
        "adapter": adapter,
        "size": size,
        "mode": "grad" if grad else "inference",
        "fps": n / dt,
        "peak_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
    }


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--frames", type=int, default=4)
    p.add_argument("--skip-full", action="store_true", help="tiny configurations only")
    p.add_argument("--adapters", nargs="+", default=["sam2", "raft", "depth"], help="which adapters")
    p.add_argument("--one", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.one:
        print(json.dumps(measure(**json.loads(a.one))))
        return
    sizes = ["tiny"] if a.skip_full else ["tiny", "full"]
    print(f"{'adapter':<8}{'size':<9}{'mode':<11}{'frames/s':>10}{'peak GiB':>10}   (CPU, 256², {a.frames} frames)")
    for adapter in a.adapters:
        for size in sizes + (["full@256"] if adapter == "sam2" and not a.skip_full else []):
            for grad in (False, True):
                r, err = run_isolated(__file__, {"adapter": adapter, "size": size, "grad": grad, "frames": a.frames})
                if r is None:
                    print(f"{adapter:<8}{size:<9}{'grad' if grad else 'inference':<11} failed: {err}")
                    continue
                print(
                    f"{r['adapter']:<8}{r['size']:<9}{r['mode']:<11}{r['fps']:>10.2f}{r['peak_gib']:>10.2f}", flush=True
                )


if __name__ == "__main__":
    main()
