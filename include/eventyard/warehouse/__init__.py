"""Warehouse loading: landed batches -> Segment-compatible tables in the customer's warehouse.

- ``integration``: one integration set up once (decrypted connection, dialect or storage writer).
- ``cycle`` / ``chunk`` / ``loader``: which integrations to load, one chunk, one table.
- ``naming``, ``schema_map``, ``fastmap``: messages -> per-table rows (the Segment layout).
- ``dialects``: one ``Dialect`` per table warehouse; ``storage``: one ``StorageWriter`` per
  storage destination (files, no tables); ``sql``: the DDL builder and per-dialect templates.
- ``ledger``, ``report``, ``errors``, ``tasks``: what was loaded, what a load did, what to do
  about failures, and what the ``load_warehouses`` DAG calls.
"""
