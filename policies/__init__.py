"""ODRL 2.2 usage policies: model, parser, evaluator, templates and usage counters.

Free of any web framework; depends only on the kernel (`hinterland`).
"""
