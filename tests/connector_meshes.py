"""Meshes for connector tests: a 20 x 10 x 5 mm box as STL and 3MF, written on demand."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
from stl import mesh as stl_mesh

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
