"""T5 text encoder (``DeepFloyd/t5-v1_1-xxl``, 300 tokens) and a cache of prompt embeddings.

``T5Encoder.encode(prompts)`` gives ``y [B, 1, L, 4096]`` and the attention ``mask [B, L]`` as
Open-Sora's (padding to ``max_length``, special tokens added). Training encodes each prompt once
through the backbone's feature cache (:class:`opensora.backbones.prompts.PromptFeatures`) and
then releases T5. The null caption for classifier-free guidance is the STDiT3's learned
``y_embedder.y_embedding``, not T5 of an empty string.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from evaluation.core.errors import InputError
from evaluation.core.weightfiles import check_weights

DEFAULT_T5 = "DeepFloyd/t5-v1_1-xxl"
MAX_LENGTH = 300


class T5Encoder:
    """Tokenizer + ``transformers.T5EncoderModel`` (encoder only), frozen, in eval mode."""

    def __init__(self, name_or_path: str = DEFAULT_T5, max_length: int = MAX_LENGTH, device="cpu", dtype=torch.float32):
        from transformers import AutoTokenizer, T5EncoderModel

        check_weights(
            name_or_path, "download it with models/download_t5.sh"
        )  # a truncated local file is named, not a library traceback
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(name_or_path)
            self.model = T5EncoderModel.from_pretrained(name_or_path, dtype=dtype).to(device).eval()
        except OSError as e:
            raise InputError(
                name_or_path, f"T5 not found locally or on the hub ({e}); download it with models/download_t5.sh"
            ) from e
        self.model.requires_grad_(False)
        self.name = name_or_path
        self.max_length = max_length
        self.device = device

    @torch.no_grad()
    def encode(self, prompts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """``y [B, 1, L, D]`` (last hidden state) and ``mask [B, L]``."""
        tok = self.tokenizer(
            prompts,
            max_length=self.max_length,
            padding="max_length",
            truncation=True,
            add_special_tokens=True,
            return_tensors="pt",
        )
        ids, mask = tok["input_ids"].to(self.device), tok["attention_mask"].to(self.device)
        y = self.model(input_ids=ids, attention_mask=mask).last_hidden_state
        return y[:, None], mask


def save_tiny_t5(folder: str | os.PathLike, d_model: int = 32, vocab: list[str] | None = None) -> Path:
    """Write a tiny randomly initialised T5 encoder and a word-level tokenizer in the real on-disk formats.

    For tests and CPU smoke runs; loads back through :class:`T5Encoder` like the real model.
    """
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast, T5Config, T5EncoderModel

    folder = Path(folder)
    words = vocab or "a video of an object dropping the red mug falls ball toy shoe book cup bottle".split()
    table = {"<pad>": 0, "</s>": 1, "<unk>": 2, **{w: i + 3 for i, w in enumerate(dict.fromkeys(words))}}
    tk = Tokenizer(models.WordLevel(vocab=table, unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Whitespace()])
    tk.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tk, pad_token="<pad>", eos_token="</s>", unk_token="<unk>")
    fast.save_pretrained(folder)
    cfg = T5Config(
        vocab_size=len(table),
        d_model=d_model,
        d_kv=16,
        d_ff=2 * d_model,
        num_layers=2,
        num_heads=2,
        pad_token_id=0,
        eos_token_id=1,
    )
    torch.manual_seed(0)
    T5EncoderModel(cfg).save_pretrained(folder)
    return folder
