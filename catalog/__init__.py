"""The federated catalog: ingest, verify, search, match, federate, web UI."""
