r"""Fetch Physics-IQ's released data (resumable, checksummed) or take an offline copy.

Usage::

    bash scripts/data_processing/download_physics_iq.sh [--fps 8 16 24 30] [--v2v] [--out-dir DIR]
    bash scripts/data_processing/download_physics_iq.sh --archive-dir /copy/of/physics-IQ-benchmark

The release hosts its data in the public Google Cloud Storage bucket ``physics-iq-benchmark``
(``code/download_physics_iq_data.py`` syncs it with ``gcloud``); this reads the same objects over
HTTPS without gcloud: the bucket's JSON listing gives every object's size and MD5, each file is
downloaded to ``<name>.part`` (continued with an HTTP range request after an interruption), its
MD5 checked, then renamed into place; a file already present with the listed size and MD5 is
skipped. Folders: ``split-videos/testing/<fps>FPS``, ``video-masks/real/<fps>FPS``,
``switch-frames`` (and ``split-videos/conditioning/<fps>FPS`` with ``--v2v``); ``descriptions.csv``
comes from the release's repository. ``--archive-dir``: an offline copy in the released layout is
checked against ``descriptions.csv`` (every take, mask and switch frame present and readable) and
linked (or copied) in. Either way ``download_manifest.json`` records every file's sha256.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import sys
import urllib.parse
import urllib.request
from pathlib import Path

from evaluation.core.errors import InputError, UserError
from evaluation.core.files import write_json
from evaluation.core.outdirs import file_sha256

BUCKET = "physics-iq-benchmark"
LIST_URL = "https://storage.googleapis.com/storage/v1/b/{bucket}/o?prefix={prefix}&fields=items(name,size,md5Hash),nextPageToken"
OBJECT_URL = "https://storage.googleapis.com/{bucket}/{name}"
DESCRIPTIONS_URL = (
    "https://raw.githubusercontent.com/google-deepmind/physics-IQ-benchmark/main/descriptions/descriptions.csv"
)
CHUNK = 1 << 20


def prefixes(fps: list[int], v2v: bool) -> list[str]:
    """The bucket folders a scoring run (and v2v generation) reads."""
    out = ["switch-frames/"]
    for f in fps:
        out += [f"split-videos/testing/{f}FPS/", f"video-masks/real/{f}FPS/"]
        if v2v:
            out.append(f"split-videos/conditioning/{f}FPS/")
    return out


def list_objects(prefix: str, base: str | None = None, bucket: str = BUCKET) -> list[dict]:
    """Every object under ``prefix``: name, size, md5 (hex)."""
    base = base or LIST_URL
    items, token = [], None
    while True:
        url = base.format(bucket=bucket, prefix=urllib.parse.quote(prefix, safe=""))
        if token:
            url += f"&pageToken={urllib.parse.quote(token)}"
        with urllib.request.urlopen(url, timeout=60) as r:
            page = json.load(r)
        for it in page.get("items", []):
            if not it["name"].endswith("/"):
                items.append(
                    {"name": it["name"], "size": int(it["size"]), "md5": base64.b64decode(it["md5Hash"]).hex()}
                )
        token = page.get("nextPageToken")
        if not token:
            return items


def md5_of(path: Path) -> str:
    """Hex MD5 of a file (the bucket's checksum)."""
    h = hashlib.md5()
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            h.update(block)
    return h.hexdigest()


def fetch(obj: dict, out_dir: Path, base: str | None = None, bucket: str = BUCKET) -> str:
    """Download one object (resuming its ``.part``), verify its MD5, rename into place; returns what happened."""
    base = base or OBJECT_URL
    final = out_dir / obj["name"]
    if final.is_file() and final.stat().st_size == obj["size"] and md5_of(final) == obj["md5"]:
        return "present"
    final.parent.mkdir(parents=True, exist_ok=True)
    part = final.with_name(final.name + ".part")
    have = part.stat().st_size if part.is_file() else 0
    if have > obj["size"]:
        part.unlink()
        have = 0
    if have < obj["size"]:
        req = urllib.request.Request(base.format(bucket=bucket, name=urllib.parse.quote(obj["name"])))
        if have:
            req.add_header("Range", f"bytes={have}-")
        with urllib.request.urlopen(req, timeout=120) as r, open(part, "ab" if have and r.status == 206 else "wb") as f:
            shutil.copyfileobj(r, f, CHUNK)
    got = md5_of(part)
    if got != obj["md5"]:
        part.unlink()
        raise InputError(
            final, f"MD5 {got} does not match the bucket's {obj['md5']}; the partial file was removed, rerun"
        )
    os.replace(part, final)
    return "downloaded"


def check_layout(root: Path, fps: list[int]) -> list[str]:
    """What a scoring run needs and ``root`` lacks (every case's takes, masks, switch frame), or is unreadable."""
    from evaluation.physics_iq import layout
    from evaluation.physics_iq.video import probe

    cases = layout.read_descriptions(root / "descriptions.csv")
    problems = []
    for c in cases:
        need = [layout.switch_frame(root, c)]
        for f in fps:
            need += [layout.real_take(root, c, t, f) for t in (1, 2)] + [
                layout.real_mask(root, c, t, f) for t in (1, 2)
            ]
        for p in need:
            if not p.is_file():
                problems.append(f"{p}: missing")
            elif p.suffix == ".mp4":
                try:
                    probe(p)
                except UserError as e:
                    problems.append(str(e))
    return problems


def take_archive(archive: Path, out_dir: Path) -> None:
    """Link (or copy, across file systems) an offline copy's files into ``out_dir``; never overwrites a different file."""
    for src in sorted(archive.rglob("*")):
        if not src.is_file() or src.name.endswith(".part"):
            continue
        dst = out_dir / src.relative_to(archive)
        if dst.exists():
            if dst.stat().st_size != src.stat().st_size or file_sha256(dst) != file_sha256(src):
                raise InputError(dst, f"exists and differs from {src}; nothing was overwritten")
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)


def main(argv=None) -> int:
    """Download (or take the offline copy), check the layout, write the manifest."""
    p = argparse.ArgumentParser(prog="python -m evaluation.physics_iq.download", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--out-dir", default=None, help="default: $PISA_DATA_ROOT/physics_iq/physics-IQ-benchmark")
    p.add_argument("--fps", type=int, nargs="+", default=[30, 24, 16, 8], help="frame rates to fetch (8 16 24 30)")
    p.add_argument("--v2v", action="store_true", help="also the 3 s conditioning videos (multi-frame models)")
    p.add_argument("--archive-dir", help="an offline copy in the released layout (no network)")
    a = p.parse_args(argv)
    from evaluation.core.config import artifact_root

    out = Path(a.out_dir) if a.out_dir else artifact_root("PISA_DATA_ROOT") / "physics_iq" / "physics-IQ-benchmark"
    bad = [f for f in a.fps if f not in (8, 16, 24, 30)]
    try:
        if bad:
            raise UserError(f"--fps {bad}: the release ships 8, 16, 24 and 30 fps (others are converted when scoring)")
        out.mkdir(parents=True, exist_ok=True)
        if a.archive_dir:
            take_archive(Path(a.archive_dir), out)
        else:
            desc = out / "descriptions.csv"
            if not desc.is_file():
                with urllib.request.urlopen(DESCRIPTIONS_URL, timeout=60) as r:
                    desc.write_bytes(r.read())
            objs = [o for pre in prefixes(a.fps, a.v2v) for o in list_objects(pre)]
            done = {"present": 0, "downloaded": 0}
            for i, o in enumerate(objs, 1):
                done[fetch(o, out)] += 1
                if i % 50 == 0 or i == len(objs):
                    print(f"  {i}/{len(objs)} files ({done['downloaded']} downloaded, {done['present']} present)")
        problems = check_layout(out, a.fps)
        if problems:
            print("\n".join(f"  {x}" for x in problems[:20]), file=sys.stderr)
            raise UserError(f"{out}: {len(problems)} file(s) missing or unreadable (listed above); rerun to resume")
        files = {str(f.relative_to(out)): file_sha256(f) for f in sorted(out.rglob("*")) if f.is_file()
                 and f.name != "download_manifest.json"}  # fmt: skip
        write_json(out / "download_manifest.json", {"fps": a.fps, "v2v": a.v2v, "sha256": files})
    except (UserError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"Physics-IQ data ready in {out} ({len(files)} files; sha256 in download_manifest.json)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
