"""The A/A comparison of Segment's warehouse tables with ours (``eventyard compare``, ``segment_compare``).

During an A/A test both snippets fire every call, so both pipelines load the same real events,
under different message ids, into two schemas of one warehouse. ``compare.run_compare`` reads
per table, event and hour the aggregates of both sides (``queries``: one template per dialect in
``warehouse_sql/<dialect>/compare_*.sql``), judges them against ``model.Thresholds`` and returns a
``model.CompareReport``; ``html`` renders it with inline SVG charts.
"""
