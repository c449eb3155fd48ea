"""Data quality on every load: checks run as SQL in the warehouse after each load (docs/quality.md).

``run.run_round`` is one round over one integration; ``tasks`` holds what the ``quality_checks``
DAG calls, ``alerts`` the mail and webhook sent when a round fails.
"""
