"""Asset content: streamed file storage with SHA-256, 3D-print metadata, record types."""
