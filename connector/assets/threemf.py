"""Stamp a 3MF file with the licence it is printed under.

3MF models carry `<metadata name="...">` elements; names outside the core set need their
own namespace. We add `hinterland:Licence` (the licence credential's id) and
`hinterland:Licensee` (the print shop's DID) to the model part and copy every other part
unchanged, so slicers open the file as before and the licence travels with the part.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

from lxml import etree

from connector.assets.printmeta import CORE_NS, MAX_MODEL_BYTES, _model_part
from hinterland.errors import InputError, LimitExceeded

HINTERLAND_3MF_NS = "https://w3id.org/hinterland/3mf"


def stamp_licence(source: Path, target: Path, *, licence: str, licensee: str) -> tuple[str, int]:
    """Write `source` with licence metadata to `target`; returns (SHA-256, size) of it."""
    with zipfile.ZipFile(source) as original:
        model_name = _model_part(original)
        if original.getinfo(model_name).file_size > MAX_MODEL_BYTES:
            raise LimitExceeded(f"3MF model part larger than {MAX_MODEL_BYTES} bytes")
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
        try:
            with original.open(model_name) as handle:
                tree = etree.parse(handle, parser)
        except etree.XMLSyntaxError as exc:
            raise InputError(f"the 3MF model is not valid XML: {exc}") from None
        stamped = _with_metadata(tree.getroot(), licence=licence, licensee=licensee)
        temp = target.with_name(target.name + ".tmp")
        with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_DEFLATED) as copy:
            for info in original.infolist():
                if info.filename == model_name:
                    copy.writestr(info, etree.tostring(stamped, xml_declaration=True,
                                                       encoding="UTF-8"))
                else:
                    with original.open(info) as src, copy.open(info, "w") as dst:
                        while chunk := src.read(1024 * 1024):
                            dst.write(chunk)
    temp.replace(target)
    digest = hashlib.sha256()
    with target.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest(), target.stat().st_size


def _with_metadata(root: etree._Element, *, licence: str, licensee: str) -> etree._Element:
    nsmap = dict(root.nsmap)
    nsmap["hinterland"] = HINTERLAND_3MF_NS
    stamped = etree.Element(root.tag, attrib=dict(root.attrib), nsmap=nsmap)
    stamped.text = root.text
    for name, value in (("hinterland:Licence", licence), ("hinterland:Licensee", licensee)):
        element = etree.SubElement(stamped, f"{{{CORE_NS}}}metadata", name=name)
        element.text = value
    for child in root:
        stamped.append(child)
    return stamped


def licence_of(path: Path) -> dict[str, str]:
    """The hinterland metadata of a stamped 3MF (empty if none)."""
    with zipfile.ZipFile(path) as archive:
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        with archive.open(_model_part(archive)) as handle:
            root = etree.parse(handle, parser).getroot()
    return {
        str(m.get("name")): m.text or ""
        for m in root.iter(f"{{{CORE_NS}}}metadata")
        if str(m.get("name", "")).startswith("hinterland:")
    }
