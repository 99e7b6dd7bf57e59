"""Post-training of Open-Sora v1.2: PSFT (:mod:`.psft`) and ORO (:mod:`.oro`) on one training loop (:mod:`.loop`)."""
