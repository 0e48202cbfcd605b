"""The `hinterland` command line."""
