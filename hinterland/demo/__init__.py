"""`hinterland demo`: a whole data space on loopback ports, playing the story end to end.

The demo is a composition root: it starts the real `hinterland catalog serve` and
`hinterland connector serve` commands as processes and drives them only through their
public HTTP APIs, exactly as an operator and a partner firm would.
"""
