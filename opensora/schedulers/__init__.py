"""Diffusion processes (rectified flow) and samplers."""
