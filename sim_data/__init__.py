"""Drop-video simulator (PyBullet physics + Blender rendering); see the simulator issue.

Writes samples through ``evaluation.schema`` (DESIGN.md §3). Never imports ``opensora`` or torch.
"""
