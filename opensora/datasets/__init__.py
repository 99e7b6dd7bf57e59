"""Training data: Open-Sora style CSV manifests of sample directories (README: Data schema)."""
