"""Switching from Segment: audit both sides of a warehouse, plan the merge, run it, reconcile.

``catalog`` reads the columns of Segment's schema and ours, ``rules`` decides what to do about
each difference, ``plan`` puts the audit together, ``execute`` merges table by table in chunks
with a ledger, and ``tasks`` is what the ``segment_merge`` DAG and ``eventyard merge`` call.
"""
