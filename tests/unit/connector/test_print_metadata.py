"""Print metadata from STL and 3MF files generated in the test, and streamed storage."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from connector_meshes import FACES, write_3mf, write_stl

from connector.assets.files import store_stream
from connector.assets.printmeta import print_metadata
from hinterland.errors import InputError, LimitExceeded


def test_stl_box(tmp_path: Path) -> None:
    info = print_metadata(write_stl(tmp_path / "box.stl"), "box.stl")
    assert info is not None
    assert info["format"] == "STL" and info["triangles"] == 12
    assert info["boundingBoxMm"] == {"x": 20.0, "y": 10.0, "z": 5.0}
    assert info["volumeMm3"] == pytest.approx(1000.0)
    assert info["watertight"] is True


def test_open_stl_is_not_watertight(tmp_path: Path) -> None:
    info = print_metadata(write_stl(tmp_path / "open.stl", FACES[:-1]), "open.stl")
    assert info is not None and info["watertight"] is False and info["triangles"] == 11


def test_3mf_units_are_converted(tmp_path: Path) -> None:
    info = print_metadata(write_3mf(tmp_path / "box.3mf", unit="centimeter", scale=0.1), "box.3mf")
    assert info is not None and info["format"] == "3MF" and info["unit"] == "centimeter"
    assert info["boundingBoxMm"] == {"x": 20.0, "y": 10.0, "z": 5.0}
    assert info["volumeMm3"] == pytest.approx(1000.0)
    assert info["watertight"] is True


def test_bad_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "bad.3mf").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="3MF"):
        print_metadata(tmp_path / "bad.3mf", "bad.3mf")
    (tmp_path / "bad.stl").write_bytes(b"\x00" * 10)
    with pytest.raises(InputError, match=r"STL|no triangles"):
        print_metadata(tmp_path / "bad.stl", "bad.stl")
    assert print_metadata(tmp_path / "bad.stl", "drawing.pdf") is None


async def _chunks(data: bytes, size: int = 7) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def test_store_stream_hashes_and_limits(tmp_path: Path) -> None:
    data = b"hinterland" * 100
    stored = await store_stream(_chunks(data), tmp_path / "assets", max_bytes=10_000)
    assert stored.sha256 == hashlib.sha256(data).hexdigest() and stored.size == len(data)
    assert stored.path.read_bytes() == data and stored.path.name == stored.sha256
    with pytest.raises(LimitExceeded):
        await store_stream(_chunks(data), tmp_path / "assets", max_bytes=100)
    with pytest.raises(InputError, match="empty"):
        await store_stream(_chunks(b""), tmp_path / "assets", max_bytes=100)
    assert sorted(p.name for p in (tmp_path / "assets").iterdir()) == [stored.sha256]
