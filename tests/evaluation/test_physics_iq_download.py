"""Physics-IQ download: listing, resumed ranges, MD5 checks and the offline copy, against a local test server."""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import threading
import urllib.parse
from pathlib import Path

import pytest

from evaluation.physics_iq import download
from evaluation.physics_iq.synthetic import write_tree

pytest.importorskip("cv2")


class FakeBucket(http.server.BaseHTTPRequestHandler):
    """A test fake of the bucket's JSON listing and object URLs (with Range), serving a local folder."""

    root: Path
    ranges: list

    def log_message(self, *a):
        pass

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        if url.path.startswith("/storage/v1/b/"):
            prefix = urllib.parse.parse_qs(url.query)["prefix"][0]
            items = [{"name": str(p.relative_to(self.root)), "size": str(p.stat().st_size),
                      "md5Hash": base64.b64encode(hashlib.md5(p.read_bytes()).digest()).decode()}
                     for p in sorted(self.root.rglob("*")) if p.is_file() and str(p.relative_to(self.root)).startswith(prefix)]  # fmt: skip
            body, status = json.dumps({"items": items}).encode(), 200
        else:
            name = urllib.parse.unquote(url.path.split("/", 2)[2])
            data = (self.root / name).read_bytes()
            rng = self.headers.get("Range")
            status, body = 200, data
            if rng:
                self.ranges.append(rng)
                start = int(rng.split("=")[1].rstrip("-"))
                status, body = 206, data[start:]
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture()
def bucket(tmp_path, monkeypatch):
    tree = write_tree(tmp_path / "src", scenarios=1, fps=8, generated=None)
    FakeBucket.root, FakeBucket.ranges = tree["root"], []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeBucket)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setattr(download, "LIST_URL", base + "/storage/v1/b/{bucket}/o?prefix={prefix}")
    monkeypatch.setattr(download, "OBJECT_URL", base + "/{bucket}/{name}")
    monkeypatch.setattr(download, "DESCRIPTIONS_URL", base + "/b/descriptions.csv")
    yield tree
    server.shutdown()


def test_download_resumes_checks_and_validates(bucket, tmp_path, capsys):
    out = tmp_path / "out"
    objs = download.list_objects("split-videos/testing/8FPS/", base=download.LIST_URL)
    assert len(objs) == 6
    part = out / (objs[0]["name"] + ".part")  # an interrupted download: its first bytes are there
    part.parent.mkdir(parents=True)
    part.write_bytes((bucket["root"] / objs[0]["name"]).read_bytes()[:100])
    assert download.main(["--out-dir", str(out), "--fps", "8"]) == 0, capsys.readouterr().err
    assert FakeBucket.ranges == ["bytes=100-"] and not part.exists()
    manifest = json.loads((out / "download_manifest.json").read_text())
    assert len(manifest["sha256"]) == 6 + 6 + 3 + 1  # takes, masks, switch frames, descriptions.csv
    assert download.main(["--out-dir", str(out), "--fps", "8"]) == 0  # everything present: nothing fetched
    assert "0 downloaded" in capsys.readouterr().out


def test_a_corrupt_download_is_named_and_removed(bucket, tmp_path):
    obj = download.list_objects("switch-frames/", base=download.LIST_URL)[0]
    with pytest.raises(download.InputError, match="MD5"):
        download.fetch({**obj, "md5": "0" * 32}, tmp_path)
    assert not list(tmp_path.rglob("*.part")) and not (tmp_path / obj["name"]).exists()


def test_offline_copy_is_checked_and_never_overwrites(bucket, tmp_path, capsys):
    out = tmp_path / "out"
    assert download.main(["--out-dir", str(out), "--fps", "8", "--archive-dir", str(bucket["root"])]) == 0
    victim = next((bucket["root"] / "video-masks").rglob("*.mp4"))
    (out / victim.relative_to(bucket["root"])).unlink()
    (out / victim.relative_to(bucket["root"])).write_bytes(b"different")
    assert download.main(["--out-dir", str(out), "--fps", "8", "--archive-dir", str(bucket["root"])]) == 1
    assert "differs" in capsys.readouterr().err
    empty = tmp_path / "empty"
    (empty / "x").mkdir(parents=True)
    (empty / "descriptions.csv").write_text((bucket["root"] / "descriptions.csv").read_text())
    assert download.main(["--out-dir", str(tmp_path / "o2"), "--fps", "8", "--archive-dir", str(empty)]) == 1
    assert "missing" in capsys.readouterr().err
