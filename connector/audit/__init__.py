"""The tamper-evident audit log: hash chain, signed checkpoints, export and verification."""
