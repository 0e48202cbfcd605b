"""The API edge shared by the catalog and the connector: error mapping, health, metrics, logs.

Only this package (and the components' app modules) knows about HTTP; the rest of the
kernel raises `hinterland.errors` values.
"""
