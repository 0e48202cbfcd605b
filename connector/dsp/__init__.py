"""Dataspace Protocol 2025-1: typed messages and validation against the official schemas."""
