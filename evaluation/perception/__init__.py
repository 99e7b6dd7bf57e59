"""Perception adapters: SAM 2 video segmentation, RAFT optical flow, Depth Anything V2 depth.

One module per model; each builds from a hub id or a local path, imports its heavy dependency
inside the builder, records what it ran (:func:`common.adapter_record`), has a tiny random
configuration of the real class for tests, and offers a differentiable mode for ORO's rewards.
This subpackage (only) may import torch; nothing else in ``evaluation`` does.
"""
