"""STDiT3 numerics on the tiny preset: embeddings, RoPE placement, conditioning frames, shapes."""

from __future__ import annotations

import math

import torch

from opensora.models.stdit.stdit3 import (
    RotaryEmbedding,
    STDiT3,
    STDiT3Config,
    build_stdit3,
    position_embedding_2d,
    t_mask_select,
    timestep_embedding,
)


def tiny(seed=0) -> STDiT3:
    torch.manual_seed(seed)
    m = build_stdit3("STDiT3-tiny")
    # the from-scratch init zeroes temporal outputs; randomise so every path matters
    with torch.no_grad():
        for p in m.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return m.eval()


def inputs(b=2, t=3, h=8, w=8, seed=1):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(b, 4, t, h, w, generator=g)
    y = torch.randn(b, 1, 16, 32, generator=g)
    mask = torch.ones(b, 16, dtype=torch.long)
    mask[0, 6:] = 0
    return x, y, mask


def test_position_embedding_layout():
    # 256² video, 16x16 patch grid: scale 0.5, base_size 16 → coordinates 0, 2, 4, ..., 30
    pe = position_embedding_2d(1152, 16, 16, scale=0.5, base_size=16, device="cpu", dtype=torch.float64)
    assert pe.shape == (256, 1152)
    f0 = 1.0
    i, j = 3, 5  # token index i * Wp + j
    tok = pe[i * 16 + j]
    assert math.isclose(tok[0].item(), math.sin(2 * j * f0), abs_tol=1e-6)  # first half: column
    assert math.isclose(tok[288].item(), math.cos(2 * j * f0), abs_tol=1e-6)
    assert math.isclose(tok[576].item(), math.sin(2 * i * f0), abs_tol=1e-6)  # second half: row
    assert math.isclose(tok[864].item(), math.cos(2 * i * f0), abs_tol=1e-6)
    f1 = 10000 ** (-2 / 576)
    assert math.isclose(tok[1].item(), math.sin(2 * j * f1), abs_tol=1e-6)


def test_timestep_embedding_cos_first():
    e = timestep_embedding(torch.tensor([3.0]), 256)
    assert math.isclose(e[0, 0].item(), math.cos(3.0), abs_tol=1e-6)
    assert math.isclose(e[0, 128].item(), math.sin(3.0), abs_tol=1e-6)
    f = math.exp(-math.log(10000) * 5 / 128)
    assert math.isclose(e[0, 5].item(), math.cos(3.0 * f), rel_tol=1e-5)


def test_rope_interleaved_pairs_and_relative():
    rope = RotaryEmbedding(8)
    q = torch.randn(1, 1, 5, 8)
    r = rope.rotate(q)
    # position 0 is unrotated; position 2 rotates pair (x0, x1) by 2 * theta_0 = 2
    torch.testing.assert_close(r[..., 0, :], q[..., 0, :])
    c, s = math.cos(2.0), math.sin(2.0)
    x0, x1 = q[0, 0, 2, 0].item(), q[0, 0, 2, 1].item()
    assert math.isclose(r[0, 0, 2, 0].item(), x0 * c - x1 * s, abs_tol=1e-5)
    assert math.isclose(r[0, 0, 2, 1].item(), x1 * c + x0 * s, abs_tol=1e-5)
    # dot products depend only on the offset between positions
    k = torch.randn(1, 1, 1, 8).expand(1, 1, 5, 8)
    qq = torch.randn(1, 1, 1, 8).expand(1, 1, 5, 8)
    d = (rope.rotate(qq) * rope.rotate(k)).sum(-1)
    torch.testing.assert_close(d[..., 0], d[..., 4])


def test_rope_only_in_temporal_attention():
    m = build_stdit3("STDiT3-tiny")
    assert all(b.attn._rope[0] is None for b in m.spatial_blocks)
    assert all(b.attn._rope[0] is m.rope for b in m.temporal_blocks)
    assert not m.rope.freqs.requires_grad


def test_forward_backward_shapes_and_text_mask():
    m = tiny()
    x, y, mask = inputs()
    out = m(x, torch.tensor([500.0, 20.0]), y, mask=mask, fps=torch.tensor([16.0, 16.0]))
    assert out.shape == (2, 8, 3, 8, 8) and out.dtype == torch.float32
    # padded text tokens are ignored: changing them changes nothing
    y2 = y.clone()
    y2[0, :, 6:] = 100.0
    torch.testing.assert_close(m(x, torch.tensor([500.0, 20.0]), y2, mask=mask), out)
    m.train()
    m.y_embedder.uncond_prob = 0.0
    m(x, torch.tensor([500.0, 20.0]), y, mask=mask).sum().backward()
    assert m.spatial_blocks[0].attn.qkv.weight.grad is not None
    assert m.y_embedder.y_proj.fc1.weight.grad is None  # frozen caption embedder


def test_odd_sizes_are_padded_and_cropped():
    m = tiny()
    x, y, mask = inputs(h=7, w=9)
    assert m(x, torch.tensor([10.0, 10.0]), y, mask=mask).shape == (2, 8, 3, 7, 9)


def test_conditioning_frames_use_timestep_zero():
    m = tiny()
    x, y, mask = inputs()
    t = torch.tensor([700.0, 300.0])
    all_true = torch.ones(2, 3, dtype=torch.bool)
    torch.testing.assert_close(m(x, t, y, mask=mask, x_mask=all_true), m(x, t, y, mask=mask))


def test_final_layer_on_conditioning_frames_matches_the_release():
    """The released T2IFinalLayer norms and t0-modulates the already t-modulated tokens of masked frames."""
    from opensora.models.stdit.stdit3 import FinalLayer, t2i_modulate

    torch.manual_seed(0)
    layer = FinalLayer(16, 4, 2)
    x, t_emb, t0_emb = torch.randn(1, 2 * 3, 16), torch.randn(1, 16), torch.randn(1, 16)
    x_mask = torch.tensor([[False, True]])
    out = layer(x, t_emb, x_mask, t0_emb, 2, 3).view(1, 2, 3, -1)
    shift, scale = (layer.scale_shift_table[None] + t_emb[:, None]).chunk(2, dim=1)
    shift0, scale0 = (layer.scale_shift_table[None] + t0_emb[:, None]).chunk(2, dim=1)
    modulated = t2i_modulate(layer.norm_final(x), shift, scale)
    twice = t2i_modulate(layer.norm_final(modulated), shift0, scale0)
    torch.testing.assert_close(out[:, 1], layer.linear(modulated).view(1, 2, 3, -1)[:, 1])  # generated frame
    torch.testing.assert_close(out[:, 0], layer.linear(twice).view(1, 2, 3, -1)[:, 0])  # conditioning frame


def test_t_mask_select():
    x = torch.zeros(1, 2 * 3, 1)
    other = torch.ones(1, 2 * 3, 1)
    out = t_mask_select(torch.tensor([[False, True]]), x, other, 2, 3)
    assert out.view(2, 3).tolist() == [[1, 1, 1], [0, 0, 0]]


def test_class_dropout_uses_null_caption():
    m = tiny()
    x, y, mask = inputs()
    drop = m(x, torch.tensor([10.0, 10.0]), m.y_embedder.y_embedding[None, None].repeat(2, 1, 1, 1), mask=mask)
    forced = m.y_embedder(y, train=False, force_drop_ids=torch.tensor([1, 1]))
    torch.testing.assert_close(forced, m.y_embedder.y_proj(m.y_embedder.y_embedding)[None, None].repeat(2, 1, 1, 1))
    assert drop.shape == (2, 8, 3, 8, 8)


def test_config_json_round_trip():
    cfg = STDiT3Config(depth=2, hidden_size=64, num_heads=2)
    d = cfg.to_json()
    assert d["architectures"] == ["STDiT3"] and d["patch_size"] == [1, 2, 2]
