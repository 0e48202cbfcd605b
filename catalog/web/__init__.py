"""The catalog's web UI for partner firms: server-rendered, no JavaScript needed."""
