"""Tiny randomly initialised pipeline folders of every diffusers backbone (tests and CPU smoke runs only).

Each writer builds the real diffusers / transformers classes at tiny sizes, puts them in the
real pipeline class and saves it with ``save_pretrained`` — the folder layout of the hub
repositories (``model_index.json``, ``transformer/``, ``vae/``, ``text_encoder/``, …) — so it loads
through exactly the code that loads ``THUDM/CogVideoX-5b-I2V`` and the others. Reached through
``tiny:<backbone>`` specs (:mod:`opensora.tiny`). The schedulers carry the real
repositories' scheduler settings.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch

WORDS = "a video of an object dropping the red mug falls ball toy shoe book cup bottle blurry static".split()


def _tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    table = {"<pad>": 0, "</s>": 1, "<unk>": 2, **{w: i + 3 for i, w in enumerate(dict.fromkeys(WORDS))}}
    tk = Tokenizer(models.WordLevel(vocab=table, unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    tk.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    return PreTrainedTokenizerFast(tokenizer_object=tk, pad_token="<pad>", eos_token="</s>", unk_token="<unk>")


def _t5(umt5: bool = False, d_model: int = 32):
    from transformers import T5Config, T5EncoderModel, UMT5Config, UMT5EncoderModel

    kw = dict(vocab_size=len(WORDS) + 3, d_model=d_model, d_kv=8, d_ff=64, num_layers=1, num_heads=2)
    kw.update(pad_token_id=0, eos_token_id=1)
    return UMT5EncoderModel(UMT5Config(**kw)) if umt5 else T5EncoderModel(T5Config(**kw))


TRAINED_POSTERIOR_STD = 0.01


def _narrow_posterior(conv: torch.nn.Conv3d, logvar_channels: int) -> None:
    """Give a random VAE encoder the narrow posterior of a trained one (std ``TRAINED_POSTERIOR_STD``).

    A randomly initialised encoder predicts log-variance ≈ 0, i.e. a posterior of std ≈ 1 around
    means of ≈ 0.25: every latent *sampled* from it (CogVideoX and LTX-Video sample, as their
    pipelines do) is mostly fresh noise, so a tiny model trained on such latents cannot even fit
    two clips. The last ``logvar_channels`` outputs of ``conv`` become the constant log-variance.
    """
    with torch.no_grad():
        conv.weight[-logvar_channels:] = 0
        conv.bias[-logvar_channels:] = 2 * math.log(TRAINED_POSTERIOR_STD)


def save_tiny_cogvideox(folder: Path) -> Path:
    """CogVideoX-5B-I2V's classes: learned + rotary positions, 32×48 canvas, 9 frames, its DPM scheduler."""
    from diffusers import (
        AutoencoderKLCogVideoX,
        CogVideoXDPMScheduler,
        CogVideoXImageToVideoPipeline,
        CogVideoXTransformer3DModel,
    )

    torch.manual_seed(0)
    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=2,
        attention_head_dim=32,
        in_channels=8,
        out_channels=4,
        time_embed_dim=32,
        text_embed_dim=32,
        num_layers=2,
        sample_width=6,
        sample_height=4,
        sample_frames=9,
        patch_size=2,
        temporal_compression_ratio=4,
        max_text_seq_length=16,
        use_rotary_positional_embeddings=True,
        use_learned_positional_embeddings=True,
    )
    vae = AutoencoderKLCogVideoX(
        down_block_types=("CogVideoXDownBlock3D",) * 4,
        up_block_types=("CogVideoXUpBlock3D",) * 4,
        block_out_channels=(8, 8, 8, 8),
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=2,
        temporal_compression_ratio=4,
        scaling_factor=0.7,
    )
    _narrow_posterior(vae.encoder.conv_out.conv, vae.config.latent_channels)  # [mean, logvar] halves
    # THUDM/CogVideoX-5b-I2V's scheduler_config.json
    scheduler = CogVideoXDPMScheduler(
        beta_schedule="scaled_linear",
        beta_start=0.00085,
        beta_end=0.012,
        clip_sample=False,
        prediction_type="v_prediction",
        rescale_betas_zero_snr=True,
        set_alpha_to_one=True,
        snr_shift_scale=1.0,
        timestep_spacing="trailing",
    )
    pipe = CogVideoXImageToVideoPipeline(
        tokenizer=_tokenizer(), text_encoder=_t5(), vae=vae, transformer=transformer, scheduler=scheduler
    )
    pipe.save_pretrained(folder)
    return folder


def _clip_encoder():
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModel

    cfg = CLIPVisionConfig(
        hidden_size=4,
        projection_dim=4,
        num_hidden_layers=2,
        num_attention_heads=2,
        image_size=32,
        intermediate_size=16,
        patch_size=4,
    )
    return CLIPVisionModel(cfg), CLIPImageProcessor(crop_size=32, size=32)


def _wan_transformer(head_dim: int, **channels):
    """Wan's transformer with two heads of ``head_dim``.

    The width is at least the values each token outputs (out_channels × 1 × 2 × 2), so that the
    model can represent the noise it must predict and can overfit (tests).
    """
    from diffusers import WanTransformer3DModel

    return WanTransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=head_dim,
        text_dim=32,
        freq_dim=256,
        ffn_dim=4 * head_dim,
        num_layers=2,
        rope_max_seq_len=32,
        **channels,
    )


def save_tiny_wan2_1_i2v(folder: Path) -> Path:
    """Wan 2.1 I2V's classes: mask + image latent channels, CLIP image features, UniPC with flow shift 3."""
    from diffusers import AutoencoderKLWan, UniPCMultistepScheduler, WanImageToVideoPipeline

    torch.manual_seed(0)
    vae = AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1)
    transformer = _wan_transformer(32, in_channels=36, out_channels=16, image_dim=4)
    encoder, processor = _clip_encoder()
    # Wan-AI/Wan2.1-I2V-14B-480P-Diffusers' scheduler_config.json
    scheduler = UniPCMultistepScheduler(
        prediction_type="flow_prediction", use_flow_sigmas=True, num_train_timesteps=1000, flow_shift=3.0
    )
    pipe = WanImageToVideoPipeline(
        tokenizer=_tokenizer(),
        text_encoder=_t5(umt5=True),
        vae=vae,
        scheduler=scheduler,
        image_processor=processor,
        image_encoder=encoder,
        transformer=transformer,
    )
    pipe.save_pretrained(folder)
    return folder


def save_tiny_wan2_2_ti2v(folder: Path) -> Path:
    """Wan 2.2 TI2V-5B's classes: the residual z=48 VAE (×16 space), ``expand_timesteps``, no image encoder."""
    from diffusers import AutoencoderKLWan, UniPCMultistepScheduler, WanImageToVideoPipeline

    torch.manual_seed(0)
    vae = AutoencoderKLWan(
        base_dim=3,
        z_dim=48,
        in_channels=12,
        out_channels=12,
        is_residual=True,
        patch_size=2,
        latents_mean=[0.0] * 48,
        latents_std=[1.0] * 48,
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=1,
        scale_factor_spatial=16,
        scale_factor_temporal=4,
        temperal_downsample=[False, True, True],
    )
    transformer = _wan_transformer(96, in_channels=48, out_channels=48)
    scheduler = UniPCMultistepScheduler(
        prediction_type="flow_prediction", use_flow_sigmas=True, num_train_timesteps=1000, flow_shift=5.0
    )
    pipe = WanImageToVideoPipeline(
        tokenizer=_tokenizer(),
        text_encoder=_t5(umt5=True),
        vae=vae,
        scheduler=scheduler,
        transformer=transformer,
        expand_timesteps=True,
    )
    pipe.save_pretrained(folder)
    return folder


def save_tiny_ltx_video(folder: Path) -> Path:
    """LTX-Video's classes: packed latent tokens, timestep-conditioned decoder, dynamic-shift flow matching."""
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXImageToVideoPipeline,
        LTXVideoTransformer3DModel,
    )

    torch.manual_seed(0)
    vae = AutoencoderKLLTXVideo(
        latent_channels=8,
        block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8),
        layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1),
        spatio_temporal_scaling=(True, True, False, False),
        decoder_spatio_temporal_scaling=(True, True, False, False),
        decoder_inject_noise=(False, False, False, False, False),
        upsample_residual=(False, False, False, False),
        upsample_factor=(1, 1, 1, 1),
        timestep_conditioning=True,
        patch_size=1,
        patch_size_t=1,
        encoder_causal=True,
        decoder_causal=False,
    )
    _narrow_posterior(vae.encoder.conv_out.conv, 1)  # LTX-Video's encoder: one shared log-variance channel
    transformer = LTXVideoTransformer3DModel(
        in_channels=8,
        out_channels=8,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=4,
        attention_head_dim=16,
        cross_attention_dim=64,  # the transformer's width
        num_layers=2,
        caption_channels=32,
    )
    # Lightricks/LTX-Video's scheduler_config.json
    scheduler = FlowMatchEulerDiscreteScheduler(
        use_dynamic_shifting=True,
        base_shift=0.95,
        max_shift=2.05,
        base_image_seq_len=1024,
        max_image_seq_len=4096,
        shift_terminal=0.1,
    )
    pipe = LTXImageToVideoPipeline(
        tokenizer=_tokenizer(), text_encoder=_t5(), vae=vae, transformer=transformer, scheduler=scheduler
    )
    pipe.save_pretrained(folder)
    return folder


WRITERS = {
    "cogvideox_5b_i2v": save_tiny_cogvideox,
    "wan2_1_i2v_14b_480p": save_tiny_wan2_1_i2v,
    "wan2_2_ti2v_5b": save_tiny_wan2_2_ti2v,
    "ltx_video": save_tiny_ltx_video,
}
