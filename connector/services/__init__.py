"""The connector's protocol logic: negotiation, transfer, the worker that drives them."""
