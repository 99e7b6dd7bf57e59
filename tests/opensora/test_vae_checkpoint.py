"""VAE latent sizes and causality; save → load round trips in the released formats."""

from __future__ import annotations

import json

import pytest
import torch

from evaluation.core.errors import InputError
from opensora.models import build_stdit3, build_vae, save_pretrained, stdit3_from_pretrained, vae_from_pretrained
from opensora.models.checkpoint import load_weights, read_state_dict


@pytest.fixture(scope="module")
def vae():
    torch.manual_seed(0)
    return build_vae("OpenSoraVAE_V1_2-tiny").eval()


def test_latent_size_formula(vae):
    assert [vae.latent_frames(t) for t in (1, 16, 17, 32, 51, 102)] == [1, 4, 5, 9, 15, 30]
    assert vae.latent_size(32, 256, 256) == (9, 32, 32)


@pytest.mark.parametrize("frames", [1, 17, 20])
def test_encode_decode_shapes(vae, frames):
    x = torch.rand(1, 3, frames, 32, 32) * 2 - 1
    with torch.no_grad():
        z = vae.encode(x, generator=torch.Generator().manual_seed(0))
        assert z.shape == (1, 4, vae.latent_frames(frames), 4, 4)
        assert vae.decode(z, frames).shape == (1, 3, frames, 32, 32)


def test_causal_conv_sees_only_the_past():
    from opensora.models.vae.vae import CausalConv3d

    conv = CausalConv3d(2, 2, 3)
    x = torch.randn(1, 2, 6, 4, 4)
    x2 = x.clone()
    x2[:, :, 4:] += 5.0
    with torch.no_grad():
        a, b = conv(x), conv(x2)
    assert a.shape == x.shape
    torch.testing.assert_close(a[:, :, :4], b[:, :, :4])  # output frame k only sees frames <= k
    down = CausalConv3d(2, 2, 3, stride=2)
    assert down(x).shape[2] == 3  # 4x temporal down = two of these


def test_stdit3_save_load_round_trip_bit_exact(tmp_path):
    torch.manual_seed(0)
    m = build_stdit3("STDiT3-tiny")
    save_pretrained(m, tmp_path / "ckpt")
    assert json.loads((tmp_path / "ckpt" / "config.json").read_text())["hidden_size"] == 64
    m2 = stdit3_from_pretrained(str(tmp_path / "ckpt"), preset="STDiT3-tiny")
    for (k, a), (_, b) in zip(m.state_dict().items(), m2.state_dict().items(), strict=True):
        assert torch.equal(a, b), k


def test_vae_round_trip(tmp_path, vae):
    save_pretrained(vae, tmp_path / "vae")
    v2 = vae_from_pretrained(str(tmp_path / "vae"), preset="OpenSoraVAE_V1_2-tiny")
    assert all(torch.equal(a, b) for a, b in zip(vae.state_dict().values(), v2.state_dict().values(), strict=True))


def test_pisa_checkpoint_folder_shards_and_ema(tmp_path):
    """``model/`` with pytorch_model-0000k.bin shards + index (bf16), and ``ema.pt`` (fp32)."""
    torch.manual_seed(1)
    m = build_stdit3("STDiT3-tiny")
    sd = {k: v.to(torch.bfloat16) for k, v in m.state_dict().items()}
    keys = list(sd)
    half = len(keys) // 2
    root = tmp_path / "epoch0-global_step500"
    (root / "model").mkdir(parents=True)
    shards = {"pytorch_model-00001.bin": keys[:half], "pytorch_model-00002.bin": keys[half:]}
    for name, ks in shards.items():
        torch.save({k: sd[k] for k in ks}, root / "model" / name)
    index = {"metadata": {}, "weight_map": {k: n for n, ks in shards.items() for k in ks}}
    (root / "model" / "pytorch_model.bin.index.json").write_text(json.dumps(index))
    (root / "model" / "config.json").write_text(json.dumps(m.config.to_json()))
    ema = {k: v.clone() + 1.0 if v.is_floating_point() else v for k, v in m.state_dict().items()}
    torch.save(ema, root / "ema.pt")
    loaded = stdit3_from_pretrained(str(root), preset="STDiT3-tiny", weights="model")
    torch.testing.assert_close(loaded.t_block[1].weight, sd["t_block.1.weight"].float())
    loaded_ema = stdit3_from_pretrained(str(root), preset="STDiT3-tiny", weights="ema")
    torch.testing.assert_close(loaded_ema.t_block[1].weight, ema["t_block.1.weight"])


def test_strict_keys_with_rope_tolerance(tmp_path):
    m = build_stdit3("STDiT3-tiny")
    sd = dict(m.state_dict())
    sd.pop("rope.freqs")
    load_weights(m, sd)  # tolerated
    sd.pop("t_block.1.weight")
    sd["extra.weight"] = torch.zeros(1)
    with pytest.raises(ValueError, match=r"1 missing .*t_block.1.weight.*1 unexpected .*extra.weight"):
        load_weights(m, sd, source="x.safetensors")
    bad = dict(m.state_dict())
    bad["final_layer.linear.bias"] = torch.zeros(5)
    with pytest.raises(ValueError, match="other shapes"):
        load_weights(m, bad)


def test_missing_weights_explain_how_to_get_them(tmp_path, monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(InputError, match="download_opensora.sh"):
        stdit3_from_pretrained("hpcai-tech/OpenSora-STDiT-v3-not-here")
    with pytest.raises(InputError, match="no model.safetensors"):
        read_state_dict(tmp_path)
