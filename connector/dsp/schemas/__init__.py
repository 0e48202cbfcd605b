"""The official DSP 2025-1 JSON Schemas (Apache-2.0, see LICENSE)."""
