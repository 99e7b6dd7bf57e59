"""State-dict keys and shapes of STDiT3 and the video VAE against the released checkpoints' (hpcai-tech/OpenSora-STDiT-v3, hpcai-tech/OpenSora-VAE-v1.2)."""

from __future__ import annotations

import pytest

from opensora.models.__main__ import list_keys, main

STDIT_GLOBAL = {
    "rope.freqs": "36",
    "x_embedder.proj.weight": "1152,4,1,2,2",
    "x_embedder.proj.bias": "1152",
    "t_embedder.mlp.0.weight": "1152,256",
    "t_embedder.mlp.2.weight": "1152,1152",
    "fps_embedder.mlp.0.weight": "1152,256",
    "fps_embedder.mlp.2.bias": "1152",
    "t_block.1.weight": "6912,1152",
    "t_block.1.bias": "6912",
    "y_embedder.y_embedding": "300,4096",
    "y_embedder.y_proj.fc1.weight": "1152,4096",
    "y_embedder.y_proj.fc2.weight": "1152,1152",
    "final_layer.scale_shift_table": "2,1152",
    "final_layer.linear.weight": "32,1152",
    "final_layer.linear.bias": "32",
}
BLOCK = {
    "scale_shift_table": "6,1152",
    "attn.qkv.weight": "3456,1152",
    "attn.qkv.bias": "3456",
    "attn.q_norm.weight": "72",
    "attn.k_norm.weight": "72",
    "attn.proj.weight": "1152,1152",
    "attn.proj.bias": "1152",
    "cross_attn.q_linear.weight": "1152,1152",
    "cross_attn.q_linear.bias": "1152",
    "cross_attn.kv_linear.weight": "2304,1152",
    "cross_attn.kv_linear.bias": "2304",
    "cross_attn.proj.weight": "1152,1152",
    "cross_attn.proj.bias": "1152",
    "mlp.fc1.weight": "4608,1152",
    "mlp.fc1.bias": "4608",
    "mlp.fc2.weight": "1152,4608",
    "mlp.fc2.bias": "1152",
}


def _table(name):
    return dict(line.split(" ") for line in list_keys(name))


def _numel(shape: str) -> int:
    n = 1
    for d in shape.split(","):
        n *= int(d)
    return n


def test_stdit3_xl_keys_match_spec():
    keys = _table("STDiT3-XL/2")
    assert len(keys) == 973
    assert sum(_numel(s) for s in keys.values()) == 1_208_872_772
    for k, shape in STDIT_GLOBAL.items():
        assert keys[k] == shape, k
    for kind in ("spatial_blocks", "temporal_blocks"):
        for i in range(28):
            for suffix, shape in BLOCK.items():
                assert keys[f"{kind}.{i}.{suffix}"] == shape
    assert len(BLOCK) == 17 and len(STDIT_GLOBAL) + 6 == 21  # 21 global keys (+ biases not listed above)


def test_vae_keys_match_spec():
    keys = _table("OpenSoraVAE_V1_2")
    assert len(keys) == 517
    spatial = {k: v for k, v in keys.items() if k.startswith("spatial_vae.module.")}
    temporal = {k: v for k, v in keys.items() if k.startswith("temporal_vae.")}
    assert len(spatial) == 248 and len(temporal) == 267
    assert sum(_numel(s) for s in temporal.values()) == 309_687_144
    assert sum(_numel(s) for s in spatial.values()) == 83_653_863
    assert keys["scale"] == keys["shift"] == "1,4,1,1,1"
    assert keys["spatial_vae.module.encoder.conv_in.weight"] == "128,3,3,3"
    assert keys["spatial_vae.module.encoder.conv_out.weight"] == "8,512,3,3"
    assert keys["spatial_vae.module.decoder.up_blocks.2.resnets.0.conv_shortcut.weight"] == "256,512,1,1"
    assert keys["spatial_vae.module.encoder.mid_block.attentions.0.to_q.weight"] == "512,512"
    assert keys["temporal_vae.encoder.conv_in.conv.weight"] == "128,4,3,3,3"
    assert keys["temporal_vae.encoder.conv_blocks.1.conv.weight"] == "256,256,3,3,3"
    assert keys["temporal_vae.encoder.conv2.conv.weight"] == "8,512,1,1,1"
    assert keys["temporal_vae.quant_conv.conv.weight"] == "8,8,1,1,1"
    assert keys["temporal_vae.decoder.conv_blocks.2.conv.weight"] == "1024,512,3,3,3"
    assert keys["temporal_vae.decoder.conv_blocks.1.conv.weight"] == "512,256,3,3,3"
    assert "temporal_vae.decoder.conv_blocks.0.conv.weight" not in keys  # Identity
    assert keys["temporal_vae.decoder.conv_out.conv.weight"] == "4,128,3,3,3"
    assert "temporal_vae.encoder.block_res_blocks.1.0.conv3.conv.weight" in keys


def test_cli(capsys):
    assert main(["--list-keys", "STDiT3-tiny"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("rope.freqs ") and all(len(line.split(" ")) == 2 for line in out)
    assert main(["--list-keys", "STDiT9"]) == 2
    with pytest.raises(SystemExit):
        main([])
