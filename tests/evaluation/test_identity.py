"""Stage records: content fingerprints, differences, hub revisions (evaluation/core/identity.py)."""

from __future__ import annotations

from evaluation.core import identity as I


def test_content_not_path_and_not_mtime(tmp_path):
    a, b = tmp_path / "a.bin", tmp_path / "b.bin"
    a.write_bytes(b"same")
    b.write_bytes(b"same")
    assert I.fingerprint(a) == I.fingerprint(b)  # a copy is the same input
    b.write_bytes(b"else")
    assert I.fingerprint(a) != I.fingerprint(b)
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "w.bin").write_bytes(b"x")
    before = I.fingerprint(tmp_path / "d")
    (tmp_path / "d" / "DONE").write_text("bookkeeping")  # our records do not change a folder's content
    (tmp_path / "d" / ".w.bin.pisa-stage.json").write_text("{}")
    assert I.fingerprint(tmp_path / "d") == before
    (tmp_path / "d" / "w.bin").write_bytes(b"y")
    assert I.fingerprint(tmp_path / "d") != before


def test_large_files_get_a_quick_fingerprint_that_sees_a_rewrite(tmp_path, monkeypatch):
    monkeypatch.setattr(I, "WHOLE_HASH_LIMIT", 1024)
    f = tmp_path / "w.safetensors"
    f.write_bytes(bytes(4096))
    first = I.fingerprint(f)
    assert first.startswith("quick:4096:")
    f.write_bytes(bytes(4095) + b"\1")  # same size, new content (and mtime)
    assert I.fingerprint(f) != first


def test_differences_name_leaf_keys():
    old = I.stage_identity("s", 1, inputs={"v": "sha256:aa"}, settings={"b": {"seed": 1024, "steps": 30}})
    new = I.stage_identity("s", 1, inputs={"v": "sha256:aa"}, settings={"b": {"seed": 7, "steps": 30}})
    assert I.differences(old, new) == ["settings.b.seed: 1024 → 7"]
    assert I.differences(None, new) == ["no record of what made it"]


def test_a_hub_id_carries_its_cached_revision(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    assert I.fingerprint("owner/model") == "name:owner/model"  # not cached: the name alone
    ref = tmp_path / "models--owner--model" / "refs"
    ref.mkdir(parents=True)
    (ref / "main").write_text("abc123\n")
    assert I.fingerprint("owner/model") == "name:owner/model@abc123"
