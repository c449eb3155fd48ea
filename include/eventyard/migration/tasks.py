"""What the ``segment_merge`` DAG's tasks call (plain functions, testable without Airflow).

``plan_task`` audits both schemas once and fixes the cutover for the whole run; each mapped
``merge_table_task`` merges one table with that cutover, logging rows done / total after every
committed chunk, and labels itself in the grid with its reconciliation.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping
from typing import Any

from eventyard.errors import BadInputError
from eventyard.migration.execute import DEFAULT_CHUNK_ROWS
from eventyard.migration.service import plan_merge, run_merge
from eventyard.settings import get_settings

log = logging.getLogger("eventyard.segment_merge")


class MergeParamsError(BadInputError, ValueError):
    """The run's params are missing something the merge needs."""


def _params(context: Mapping[str, Any]) -> dict[str, Any]:
    params = dict(context.get("params") or {})
    for required in ("integration", "segment_schema"):
        if not params.get(required):
            raise MergeParamsError(f"trigger segment_merge with the param {required!r}")
    return params


def plan_task(context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Log the audit; return one ``{table, cutover}`` per table to merge (the mapped tasks)."""
    p = _params(context)
    plan = plan_merge(get_settings(), p["integration"], p["segment_schema"], p.get("schema") or None,
                      p.get("cutover") or None)  # fmt: skip
    for line in plan.lines():
        log.info("%s", line)
    cutover = plan.cutover.isoformat() if plan.cutover else ""
    return [{"table": t.table, "cutover": cutover} for t in plan.tables if t.kind in ("events", "users")]


def merge_table_task(item: Mapping[str, Any], context: MutableMapping[str, Any]) -> dict[str, Any]:
    """Merge one table; fail (without retries) when its reconciliation does not add up."""
    p = _params(context)
    table = str(item["table"])

    def progress(name: str, done: int, total: int) -> None:
        log.info("%s: %d / %d rows", name, done, total)

    outcome = run_merge(
        get_settings(), p["integration"], p["segment_schema"], p.get("schema") or None,
        item.get("cutover") or None, tables=[table],
        chunk_rows=int(p.get("chunk_rows") or DEFAULT_CHUNK_ROWS), progress=progress,
    )  # fmt: skip
    result = outcome.results[0]
    log.info("%s", result.line())
    context["eventyard_label"] = (
        f"{table}: {result.merged} merged, {result.present} present, {result.after_cutover} after cutover"
        + ("" if result.ok else " MISMATCH")
    )
    if not result.ok:
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException(f"reconciliation failed: {result.line()}")
    return result.to_dict()
