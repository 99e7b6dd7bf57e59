"""Published Physics-IQ numbers shown beside a run (percent).

``PHYSICS_IQ``: the leaderboard of google-deepmind/physics-IQ-benchmark's README (commit e457754,
2026-04): model, input type, Physics-IQ score. ``VERIFIED``: Physics-IQ Verified (arXiv
2606.18943, Rädsch et al. 2026) leaderboard rows as this project's issue tracker quoted them;
their scoring code was not available to check this project's Verified rule against.
"""

PHYSICS_IQ = [
    ("Magi-1 + WMReward (BoN)", "v2v", 62.6),
    ("Magi-1", "v2v", 56.0),
    ("Sora2 + WMReward (BoN)", "i2v", 46.4),
    ("Wan2.2 + WMReward (BoN)", "i2v", 44.4),
    ("Sora2", "i2v", 42.3),
    ("Wan2.2", "i2v", 38.3),
    ("Magi-1 + WMReward (BoN)", "i2v", 36.9),
    ("Video-GPT", "v2v", 35.0),
    ("CogVideoX-5b", "i2v", 32.3),
    ("Magi-1", "i2v", 30.2),
    ("VideoPoet", "v2v", 29.5),
    ("Lumiere", "v2v", 23.0),
    ("Runway Gen 3", "i2v", 22.8),
    ("VideoPoet", "i2v", 20.3),
    ("Lumiere", "i2v", 19.0),
    ("Stable Video Diffusion", "i2v", 14.8),
    ("Pika", "i2v", 13.0),
    ("Sora", "i2v", 10.0),
]

VERIFIED = [
    ("Magi-1 + GeoPhys", "v2v", 58.2),
    ("Awomo", "i2v", 45.1),
    ("Cosmos3-Super", "i2v", 42.7),
    ("Wan 2.2", "i2v", 32.2),
]
