"""evaluation/npz.py: the same arrays as np.load, and cut or corrupted files fail as they do with it."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from evaluation import npz
from evaluation.schema import SchemaError, read_mask, write_mask

ARRAYS = {
    "bool": np.random.default_rng(0).random((6, 2, 16, 16)) < 0.3,
    "fortran_f16": np.asfortranarray(np.random.default_rng(1).random((5, 7)).astype(np.float16)),
    "big_endian": np.arange(10, dtype=">i4"),
    "scalar": np.array(3.5),
    "empty": np.zeros((0, 3)),
    "bytes": np.array([b"ab", b"c"]),
}


@pytest.fixture(params=["libdeflate", "np.load"])
def path_taken(request, monkeypatch):
    if request.param == "libdeflate":
        pytest.importorskip("deflate", reason="the fast path needs libdeflate (requirements/core.txt)")
    else:
        monkeypatch.setattr(npz, "_libdeflate", None)
    return request.param


@pytest.mark.parametrize("compressed", [True, False])
@pytest.mark.parametrize("name", list(ARRAYS))
def test_same_array_as_np_load(tmp_path, name, compressed, path_taken):
    arr = ARRAYS[name]
    f = tmp_path / "a.npz"
    (np.savez_compressed if compressed else np.savez)(f, a=arr, other=np.ones(3))
    got = npz.read_array(f, "a")
    expect = np.load(f)["a"]
    assert got.dtype == expect.dtype and got.shape == expect.shape and np.array_equal(got, expect)
    assert got.flags.writeable and got.flags.f_contiguous == expect.flags.f_contiguous
    with pytest.raises(npz.MissingKey) as e:
        npz.read_array(f, "nope")
    assert sorted(e.value.keys) == ["a", "other"]


def _corrupt_member_byte(f, offset_in_data: int) -> None:
    with zipfile.ZipFile(f) as zf:
        info = zf.getinfo("mask.npy")
    raw = bytearray(f.read_bytes())
    name_len = int.from_bytes(raw[info.header_offset + 26 : info.header_offset + 28], "little")
    extra_len = int.from_bytes(raw[info.header_offset + 28 : info.header_offset + 30], "little")
    data_start = info.header_offset + 30 + name_len + extra_len
    raw[data_start + offset_in_data] ^= 0x5A
    f.write_bytes(bytes(raw))


def test_a_flipped_byte_is_a_schema_error_naming_the_file(tmp_path, path_taken):
    f = tmp_path / "s" / "mask.npz"
    write_mask(f, ARRAYS["bool"])
    _corrupt_member_byte(f, 40)
    with pytest.raises(SchemaError) as e:
        read_mask(f)
    assert str(f) in str(e.value) and "corrupt" in str(e.value)


def test_a_cut_file_is_a_schema_error(tmp_path, path_taken):
    f = tmp_path / "s" / "mask.npz"
    write_mask(f, ARRAYS["bool"])
    f.write_bytes(f.read_bytes()[:-40])
    with pytest.raises(SchemaError, match="truncated or corrupt"):
        read_mask(f)


def _peak_bytes(fn) -> int:
    import tracemalloc

    tracemalloc.start()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_a_header_declaring_a_huge_array_is_refused_without_allocating(tmp_path):
    import io
    import zipfile

    head = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        head, {"descr": "|b1", "fortran_order": False, "shape": (10**6, 1, 1000, 1000)}
    )
    path = tmp_path / "mask.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_BZIP2) as zf:  # np.load's path
        zf.writestr("mask.npy", head.getvalue() + b"\0" * 16)
    with pytest.raises(SchemaError, match=r"mask.npz: .*declares shape \(1000000, 1, 1000, 1000\)"):
        _peak_bytes(lambda: read_mask(path))
    assert _peak_bytes(lambda: pytest.raises(SchemaError, read_mask, path)) < 8 << 20


def test_a_corrupt_compressed_size_is_refused_without_allocating(tmp_path):
    import struct

    path = tmp_path / "mask.npz"
    np.savez_compressed(path, mask=np.zeros((4, 1, 8, 8), bool))
    raw = bytearray(path.read_bytes())
    at = raw.rfind(b"PK\x01\x02")  # the central directory entry: compressed size at +20
    struct.pack_into("<I", raw, at + 20, 2_000_000_000)
    path.write_bytes(raw)
    assert _peak_bytes(lambda: pytest.raises(SchemaError, read_mask, path)) < 8 << 20
    with pytest.raises(SchemaError, match="declares 2000000000 compressed bytes"):
        read_mask(path)
