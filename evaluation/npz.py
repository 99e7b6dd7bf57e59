"""Read one array of an ``.npz`` file: the same array ``np.load`` gives, several times faster.

``np.load(path)[key]`` inflates the member with zlib through ``zipfile`` and checks its CRC-32 as
it streams. For the large, very compressible masks of PisaBench (a real-split ground truth is
240 × N × 256 × 256 booleans, ~31 MB inflated from ~50 kB) that takes ~24 ms, more than scoring
the video. Here the member's compressed bytes are read in one piece, inflated by libdeflate (the
``deflate`` package; ~10x zlib's speed on such data), checked against the CRC-32 and size in the
zip directory (a cut or corrupted file fails exactly as with ``np.load``), and the ``.npy``
header is parsed with numpy's own ``numpy.lib.format`` readers.

Anything this fast path does not handle — ``deflate`` not installed, an encrypted member, a
compression method other than stored / deflated, a ``.npy`` holding Python objects — goes through
``np.load`` itself, so the result never depends on which path ran.

Memory stays bounded on hostile files: before anything is allocated, the compressed size the zip
directory declares is checked against the file's length, the inflated size against deflate's
largest possible ratio (:data:`DEFLATE_MAX_RATIO`) and against :data:`MAX_ARRAY_BYTES`, and, before
``np.load`` reads another method's member, the ``.npy`` header's shape (decompressed alone)
against the same bound and the directory — so a 600-byte file cannot make either path allocate
gigabytes.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

try:
    import deflate as _libdeflate
except ImportError:  # optional accelerator (requirements/core.txt)
    _libdeflate = None

_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature ... file name length, extra field length
# deflate's best case is 258 bytes from one ~2-bit code: inflated / compressed stays below ~1032
# (zlib's technical notes, "Maximum compression factor")
DEFLATE_MAX_RATIO = 1032
# the largest array read: 8 GiB holds a 1,000-frame, 32-object mask at 512² (PisaBench's largest,
# the real split at 256², is ~31 MB for two objects)
MAX_ARRAY_BYTES = 8 << 30


class MissingKey(KeyError):
    """The archive has no member ``<key>.npy``; ``keys`` lists the ones it has."""

    def __init__(self, key: str, keys: list[str]):
        super().__init__(key)
        self.keys = keys


def read_array(path: str | Path, key: str) -> np.ndarray:
    """The array stored under ``key`` in the ``.npz`` at ``path`` (writable, backed by the inflated bytes).

    Raises:
        MissingKey: no such member. zipfile.BadZipFile / ValueError / OSError / EOFError: the
        file is truncated or corrupt (as ``np.load`` raises them).
    """
    with zipfile.ZipFile(path) as zf:
        name = f"{key}.npy"
        try:
            info = zf.getinfo(name)
        except KeyError:
            keys = [n[:-4] if n.endswith(".npy") else n for n in zf.namelist()]
            raise MissingKey(key, keys) from None
        _check_declared_sizes(path, info)
        arr = _parse_npy(_member_bytes(path, info)) if _fast_path_applies(info) else None
        if arr is None:
            _check_npy_header(zf, info)
    if arr is None:
        with np.load(path, allow_pickle=False) as data:
            return data[key]
    return arr


def _check_declared_sizes(path: str | Path, info: zipfile.ZipInfo) -> None:
    """The directory's sizes are possible for this file (raises ``zipfile.BadZipFile`` otherwise)."""
    room = Path(path).stat().st_size - info.header_offset
    if info.compress_size > room:
        raise zipfile.BadZipFile(
            f"{info.filename}: the zip directory declares {info.compress_size} compressed bytes, "
            f"the file has {max(room, 0)} after the member's start"
        )
    if info.file_size > MAX_ARRAY_BYTES:
        raise zipfile.BadZipFile(f"{info.filename}: declares {info.file_size} bytes, more than any mask or map")
    if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
        raise zipfile.BadZipFile(
            f"{info.filename}: stored member of {info.compress_size} bytes declares {info.file_size}"
        )
    if info.compress_type == zipfile.ZIP_DEFLATED and info.file_size > DEFLATE_MAX_RATIO * info.compress_size + 1024:
        raise zipfile.BadZipFile(
            f"{info.filename}: declares {info.file_size} bytes inflated from {info.compress_size}, "
            "more than deflate can encode"
        )


def _check_npy_header(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """The ``.npy`` header (decompressed alone) declares an array that fits the member and the bound."""
    try:
        with zf.open(info) as f:
            version = npy_format.read_magic(f)
            read = npy_format.read_array_header_1_0 if version == (1, 0) else npy_format.read_array_header_2_0
            shape, _, dtype = read(f)
            offset = f.tell()
    except (ValueError, EOFError, OSError, NotImplementedError, RuntimeError):
        return  # np.load raises its own error for what does not parse
    declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if declared > MAX_ARRAY_BYTES or (not dtype.hasobject and offset + declared != info.file_size):
        raise ValueError(
            f"{info.filename}: the .npy header declares shape {shape} of {dtype} ({declared} bytes); "
            f"the member holds {info.file_size - offset}"
        )


def _fast_path_applies(info: zipfile.ZipInfo) -> bool:
    return (
        _libdeflate is not None
        and not info.flag_bits & 0x1  # not encrypted
        and info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
    )


def _member_bytes(path: str | Path, info: zipfile.ZipInfo) -> bytearray:
    """The member's inflated bytes, checked against the directory's size and CRC-32."""
    with open(path, "rb") as f:
        f.seek(info.header_offset)
        header = f.read(_LOCAL_HEADER.size)
        if len(header) < _LOCAL_HEADER.size:
            raise EOFError(f"{info.filename}: local header cut short")
        signature, name_len, extra_len = _LOCAL_HEADER.unpack(header)
        if signature != b"PK\x03\x04":
            raise zipfile.BadZipFile(f"{info.filename}: bad local header")
        f.seek(name_len + extra_len, io.SEEK_CUR)
        data = bytearray(info.compress_size)  # mutable: the array built on a stored member is writable
        got = f.readinto(data)
    if got != info.compress_size:
        raise EOFError(f"{info.filename}: {got} of {info.compress_size} compressed bytes")
    if info.compress_type == zipfile.ZIP_STORED:
        raw = data
    else:  # libdeflate returns a bytearray
        try:
            raw = _libdeflate.deflate_decompress(data, info.file_size)
        except _libdeflate.DeflateError as e:
            raise zipfile.BadZipFile(f"{info.filename}: {e}") from e
    if len(raw) != info.file_size:
        raise zipfile.BadZipFile(f"{info.filename}: {len(raw)} bytes inflated, {info.file_size} expected")
    if (_libdeflate.crc32(raw) if _libdeflate else zlib.crc32(raw)) != info.CRC:
        raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")
    return raw


def _parse_npy(raw: bytearray) -> np.ndarray | None:
    """The array in a ``.npy`` file's bytes.

    None for what only ``np.load`` reads (other header versions; object arrays, which np.load
    then refuses with its own message).
    """
    head = io.BytesIO(raw[: 65536 + 16])  # the magic and the largest header version 1.0 allows
    version = npy_format.read_magic(head)
    if version != (1, 0):
        return None
    shape, fortran, dtype = npy_format.read_array_header_1_0(head)
    if dtype.hasobject:
        return None
    count = int(np.prod(shape, dtype=np.int64))
    offset = head.tell()
    if offset + count * dtype.itemsize != len(raw):
        raise ValueError(f"array data is {len(raw) - offset} bytes, the header says {count * dtype.itemsize}")
    arr = np.frombuffer(raw, dtype=dtype, count=count, offset=offset)
    return arr.reshape(shape[::-1]).transpose() if fortran else arr.reshape(shape)
