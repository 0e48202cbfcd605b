"""Bundled SHACL shapes graphs (data files only; loaded by `hinterland.shacl`).

- `gaia-x-22.10-trustframework.jsonld`: the Gaia-X 22.10 trust-framework shapes
  (namespace ``.../trusted-shape-registry/v1/shapes/jsonld/trustframework#``); its
  ``@context`` doubles as the 22.10 JSON-LD context.
- `gaia-x-22.10-gx.shacl.ttl`: the LinkML-generated registry shapes shipped beside it
  (namespace ``https://w3id.org/gaia-x/development/``).
- `gaia-x-25.11-gx.shacl.ttl`: the Gaia-X 25.11 shapes (``https://w3id.org/gaia-x/development#``).
- `hinterland.ttl`: our own vocabulary's shapes (``https://w3id.org/hinterland/v1#``).

- `index.json`: the targets of every file above, so a file is parsed only when a document
  could be targeted by its shapes (regenerate with `python -m hinterland.shacl.build_index`).

The Gaia-X files are EPL-2.0 (`LICENSE-gaia-x`).
"""
