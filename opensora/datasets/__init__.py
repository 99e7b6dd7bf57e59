"""Training data: Open-Sora style CSV manifests of sample directories (DESIGN §3)."""
