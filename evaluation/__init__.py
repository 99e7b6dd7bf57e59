"""PisaBench: data schema, resolution conversion, metrics, evaluation CLI, reports and figures.

Needs numpy, scipy, Pillow and mmengine; never imports ``opensora`` or torch (README: Layout).
"""
