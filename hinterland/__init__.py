"""Hinterland: the shared kernel of a federated data-space connector and catalog.

The kernel holds what every component needs: errors, settings, JSON-LD processing,
keys and DIDs, credentials and proofs, verification reports, SHACL, storage and the CLI.
It never imports the `connector`, `catalog` or `policies` packages.
"""

__version__ = "0.1.0"
