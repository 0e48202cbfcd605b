"""3D-print metadata derived from STL and 3MF files with numpy-stl.

For partners deciding whether a part fits their printer: bounding box in millimetres,
volume (mm³), triangle count, whether the mesh is watertight (closed), and the unit the
file declares (STL has none; millimetres are assumed, as slicers do). 3MF archives are read
with a hardened XML parser (no entities, no network) and bounded sizes.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from lxml import etree
from stl import mesh as stl_mesh

from hinterland.errors import InputError, LimitExceeded

MAX_TRIANGLES = 5_000_000
MAX_MODEL_BYTES = 512 * 1024 * 1024
UNIT_TO_MM = {
    "micron": 0.001, "millimeter": 1.0, "centimeter": 10.0, "inch": 25.4, "foot": 304.8,
    "meter": 1000.0,
}
CORE_NS = "http://schemas.microsoft.com/3dmanufacturing/core/2015/02"


def _summary(vectors: np.ndarray[Any, Any], unit: str, scale: float) -> dict[str, Any]:
    """Metadata of triangles given as an (n, 3, 3) array in file units."""
    if len(vectors) == 0:
        raise InputError("the mesh has no triangles")
    if len(vectors) > MAX_TRIANGLES:
        raise LimitExceeded(f"the mesh has more than {MAX_TRIANGLES} triangles")
    mesh = stl_mesh.Mesh(np.zeros(len(vectors), dtype=stl_mesh.Mesh.dtype))
    mesh.vectors[:] = vectors * scale
    volume, _cog, _inertia = mesh.get_mass_properties()
    points = mesh.vectors.reshape(-1, 3)
    low, high = points.min(axis=0), points.max(axis=0)
    return {
        "format": "",
        "unit": unit,
        "triangles": len(vectors),
        "boundingBoxMm": {
            "x": round(float(high[0] - low[0]), 4),
            "y": round(float(high[1] - low[1]), 4),
            "z": round(float(high[2] - low[2]), 4),
        },
        "volumeMm3": round(abs(float(volume)), 4),
        "watertight": _closed(vectors),
    }


def _closed(vectors: np.ndarray[Any, Any]) -> bool:
    """Every edge shared by exactly two triangles, in opposite directions (a closed,
    consistently oriented surface)."""
    points = np.round(vectors.reshape(-1, 3), 6)
    _, ids = np.unique(points, axis=0, return_inverse=True)
    tri = ids.reshape(-1, 3)
    directed = np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]])
    forward = {tuple(e) for e in directed.tolist()}
    if len(forward) != len(directed):
        return False  # an edge used twice in the same direction
    return all((b, a) in forward for a, b in forward)


def stl_metadata(path: Path) -> dict[str, Any]:
    """Metadata of an STL file (ASCII or binary); units assumed millimetres."""
    try:
        mesh = stl_mesh.Mesh.from_file(str(path), calculate_normals=False)
    except Exception as exc:  # numpy-stl raises assorted errors for bad files
        raise InputError(f"not a readable STL file: {exc}") from None
    info = _summary(np.asarray(mesh.vectors, dtype=np.float64), "millimeter (assumed)", 1.0)
    info["format"] = "STL"
    return info


def threemf_metadata(path: Path) -> dict[str, Any]:
    """Metadata of a 3MF archive: every mesh object of its 3D model, in the declared unit."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"not a readable 3MF file: {exc}") from None
    with archive:
        name = _model_part(archive)
        info = archive.getinfo(name)
        if info.file_size > MAX_MODEL_BYTES:
            raise LimitExceeded(f"3MF model part larger than {MAX_MODEL_BYTES} bytes")
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
        try:
            with archive.open(name) as handle:
                root = etree.parse(handle, parser).getroot()
        except etree.XMLSyntaxError as exc:
            raise InputError(f"the 3MF model is not valid XML: {exc}") from None
    unit = root.get("unit", "millimeter")
    if unit not in UNIT_TO_MM:
        raise InputError(f"the 3MF model declares an unknown unit {unit!r}")
    triangles: list[np.ndarray[Any, Any]] = []
    for mesh in root.iter(f"{{{CORE_NS}}}mesh"):
        vertices = np.array(
            [[float(v.get("x")), float(v.get("y")), float(v.get("z"))]
             for v in mesh.iter(f"{{{CORE_NS}}}vertex")],
            dtype=np.float64,
        )
        index = np.array(
            [[int(t.get("v1")), int(t.get("v2")), int(t.get("v3"))]
             for t in mesh.iter(f"{{{CORE_NS}}}triangle")],
            dtype=np.int64,
        )
        if index.size == 0:
            continue
        if index.min() < 0 or index.max() >= len(vertices):
            raise InputError("a 3MF triangle refers to a vertex that does not exist")
        triangles.append(vertices[index])
    if not triangles:
        raise InputError("the 3MF model contains no mesh")
    result = _summary(np.concatenate(triangles), unit, UNIT_TO_MM[unit])
    result["format"] = "3MF"
    return result


def _model_part(archive: zipfile.ZipFile) -> str:
    for name in archive.namelist():
        if name.lower() == "3d/3dmodel.model":
            return name
    for name in archive.namelist():
        if name.lower().endswith(".model"):
            return name
    raise InputError("the 3MF archive has no 3D model part")


def print_metadata(path: Path, file_name: str) -> dict[str, Any] | None:
    """Metadata for STL and 3MF files (by extension), None for other formats."""
    suffix = Path(file_name).suffix.lower()
    if suffix == ".stl":
        return stl_metadata(path)
    if suffix == ".3mf":
        return threemf_metadata(path)
    return None
