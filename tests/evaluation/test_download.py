"""Getting the benchmark: unpack-and-validate on archives built in the released layout."""

from __future__ import annotations

import zipfile

import pytest

from evaluation import download as D
from evaluation.schema import SchemaError
from tests.conftest import write_clip


def _zip_dir(src, zpath, prefix):
    with zipfile.ZipFile(zpath, "w") as zf:
        for p in sorted(src.rglob("*")):
            if p.is_file():
                zf.write(p, f"{prefix}/{p.relative_to(src).as_posix()}")


@pytest.fixture
def archives(tmp_path):
    for i in range(2):
        write_clip(tmp_path / "real_src" / f"{i:04d}", seed=i)
    write_clip(tmp_path / "sim_src" / "seen" / "00000", seed=5)
    arch = tmp_path / "archives"
    arch.mkdir()
    _zip_dir(tmp_path / "real_src", arch / "real.zip", "real")
    _zip_dir(tmp_path / "sim_src", arch / "sim.zip", "sim")
    return arch


def test_unpack_and_validate(archives, tmp_path, capsys):
    out = tmp_path / "pisabench"
    argv = ["configs/data_processing/download_pisabench.py", "--archive-dir", str(archives), "--out-dir", str(out)]
    assert D.main(argv) == 0
    text = capsys.readouterr().out
    assert "real: 2 valid clips, 0 invalid" in text and "sim: 1 valid clips" in text
    assert (out / "real" / "real" / "0001" / "clip_info.json").is_file()
    assert (out / "download_manifest.json").is_file()
    assert D.main(argv) == 0  # re-run: already unpacked, validated again


def test_invalid_clip_fails_the_run(archives, tmp_path, capsys):
    with zipfile.ZipFile(archives / "real.zip", "a") as zf:
        zf.writestr("real/0002/clip_info.json", "{broken")
        zf.writestr("real/0002/00000.jpg", b"not a jpeg")
    out = tmp_path / "pb"
    argv = [
        "configs/data_processing/download_pisabench.py",
        "--archive-dir",
        str(archives),
        "--out-dir",
        str(out),
        "--splits",
        "real",
    ]
    assert D.main(argv) == 1
    assert "FAILED" in capsys.readouterr().err and "0002" in (out / "failed-download.json").read_text()
    assert not (out / "download_manifest.json").exists()  # no result of a failed run
    assert D.main([*argv, "--allow-failures"]) == 0
    assert (out / "download_manifest.json").is_file()


def test_corrupt_archive_and_checksum(archives, tmp_path):
    data = bytearray((archives / "sim.zip").read_bytes())
    data[200:210] = b"\x00" * 10  # inside the first member's compressed data
    bad = tmp_path / "bad.zip"
    bad.write_bytes(bytes(data))
    with pytest.raises(SchemaError):
        D.verify_archive(bad, None)
    (tmp_path / "notzip.zip").write_text("hello")
    with pytest.raises(SchemaError, match="not a valid zip"):
        D.verify_archive(tmp_path / "notzip.zip", None)
    with pytest.raises(SchemaError, match="sha256 is"):
        D.verify_archive(archives / "sim.zip", "0" * 64)
    digest = D.verify_archive(archives / "sim.zip", None)
    assert D.verify_archive(archives / "sim.zip", digest) == digest


def test_zip_slip_rejected(tmp_path):
    with zipfile.ZipFile(tmp_path / "evil.zip", "w") as zf:
        zf.writestr("../outside.txt", "x")
    with pytest.raises(SchemaError, match="outside the target folder"):
        D.verify_archive(tmp_path / "evil.zip", None)


def test_missing_archive_dir_file(tmp_path):
    with pytest.raises(SchemaError, match="archive not found"):
        D.fetch_archive("real", D.DownloadArgs(archive_dir=str(tmp_path)))


def test_hub_failure_explains_the_offline_route(tmp_path, monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(SchemaError, match="--archive-dir"):
        D.fetch_archive("real", D.DownloadArgs(out_dir=str(tmp_path)))
