"""Regenerate hinterland/shapes/index.json after changing a bundled shapes file::

    python -m hinterland.shacl.build_index > hinterland/shapes/index.json
"""

from __future__ import annotations

import json

from hinterland.shacl.shapes import build_file_indexes


def main() -> None:
    """Print the target index of every bundled shapes file as JSON."""
    indexes = build_file_indexes()
    print(json.dumps({k: v.to_json() for k, v in sorted(indexes.items())}, indent=1))


if __name__ == "__main__":
    main()
