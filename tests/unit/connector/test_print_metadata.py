"""Print metadata from STL and 3MF files generated in the test, and streamed storage."""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
from stl import mesh as stl_mesh

from connector.assets.files import store_stream
from connector.assets.printmeta import print_metadata
from hinterland.errors import InputError, LimitExceeded

# a 20 x 10 x 5 box: 8 corners, 12 outward-facing triangles
CORNERS = np.array(
    [
        [0, 0, 0],
        [20, 0, 0],
        [20, 10, 0],
        [0, 10, 0],
        [0, 0, 5],
        [20, 0, 5],
        [20, 10, 5],
        [0, 10, 5],
    ],
    dtype=float,
)
FACES = np.array(
    [
        [0, 3, 1],
        [1, 3, 2],
        [4, 5, 7],
        [5, 6, 7],
        [0, 1, 4],
        [1, 5, 4],
        [1, 2, 5],
        [2, 6, 5],
        [2, 3, 6],
        [3, 7, 6],
        [3, 0, 7],
        [0, 4, 7],
    ]
)


def write_stl(path: Path, faces: np.ndarray = FACES) -> Path:
    box = stl_mesh.Mesh(np.zeros(len(faces), dtype=stl_mesh.Mesh.dtype))
    box.vectors[:] = CORNERS[faces]
    box.save(str(path))
    return path


def write_3mf(path: Path, unit: str = "millimeter", scale: float = 1.0) -> Path:
    vertices = "".join(
        f'<vertex x="{x * scale}" y="{y * scale}" z="{z * scale}"/>' for x, y, z in CORNERS
    )
    triangles = "".join(f'<triangle v1="{a}" v2="{b}" v3="{c}"/>' for a, b, c in FACES)
    model = (
        f'<?xml version="1.0" encoding="UTF-8"?><model unit="{unit}" '
        'xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">'
        f'<resources><object id="1" type="model"><mesh><vertices>{vertices}</vertices>'
        f"<triangles>{triangles}</triangles></mesh></object></resources>"
        '<build><item objectid="1"/></build></model>'
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("3D/3dmodel.model", model)
    return path


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
