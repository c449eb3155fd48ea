"""Warehouse loading: landed batches -> Segment-compatible tables in the customer's warehouse.

- ``naming``: Segment's go-snakecase port and the identifier rules (reserved words, length limits).
- ``schema_map``: messages -> per-table rows with logical types (the Segment layout).
- ``dialects``: one ``Dialect`` per warehouse behind one loading algorithm (``loader``).
- ``cycle``: which integrations to load, the ledger of loaded batches, one load cycle.
"""
