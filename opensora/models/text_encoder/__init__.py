"""T5 text encoder and the text-embedding cache."""
