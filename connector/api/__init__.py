"""The connector's HTTP edges: DSP endpoints, data plane, credential service, management."""
