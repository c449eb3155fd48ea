"""Warehouse SQL in two places only: ``build`` (generic DDL and quoted pieces, one builder for
every dialect) and ``templates`` (each dialect's merge / upsert / COPY in ``warehouse_sql/``)."""

from eventyard.warehouse.sql.templates import Templates

__all__ = ["Templates"]
