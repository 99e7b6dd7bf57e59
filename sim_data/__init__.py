"""Drop-video simulator (PyBullet physics + Blender rendering); see the simulator issue.

Writes samples through ``evaluation.schema`` (README: Data schema). Never imports ``opensora`` or torch.
"""
