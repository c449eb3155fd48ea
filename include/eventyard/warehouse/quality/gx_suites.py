"""Great Expectations 1.x on the loaded tables: suites generated from the Segment schema, run by
GX on a SQL datasource (the warehouse runs the expectations' queries), and GX Data Docs.

What runs here and what runs through our own templates, and why: docs/decisions/0021.
Each table's suite follows Segment's contract for its kind: every table's ``id`` is present and
unique; an event table has the envelope columns, ``received_at``, ``timestamp`` and ``uuid_ts``
on every row and, for ``tracks``, the event name; ``users`` has its ``id``. The project lives
under ``$EVENTYARD_HOME/great_expectations`` (a file context), so Data Docs keep every run and
are served by the Airflow UI plugin (``eventyard.airflow_links``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eventyard.settings import Settings
from eventyard.warehouse.dialects.postgres import conninfo
from eventyard.warehouse.quality.checks import RESULTS_TABLE, Columns
from eventyard.warehouse.quality.paths import project_dir
from eventyard.warehouse.quality.results import CheckResult
from eventyard.warehouse.types import DISCARDS_TABLE

log = logging.getLogger(__name__)

# The warehouses GX runs on: a SQL datasource each (DuckDB would need duckdb-engine; see 0021).
GX_CODES = frozenset({"postgres"})
ENVELOPE = ("id", "received_at", "timestamp", "original_timestamp", "sent_at", "uuid_ts")
NOT_NULL = ("received_at", "timestamp", "uuid_ts")


@dataclass(frozen=True)
class Expectation:
    """One expectation of a generated suite: the GX class name and its arguments."""

    name: str
    kwargs: Mapping[str, Any]


def suite_for(table: str, columns: Sequence[str]) -> list[Expectation]:
    """The expectations Segment's schema implies for one table (see the module docstring)."""
    present = set(columns)
    out = [
        Expectation("ExpectColumnValuesToNotBeNull", {"column": "id"}),
        Expectation("ExpectColumnValuesToBeUnique", {"column": "id"}),
    ]
    if table == "users":
        return out
    out.append(
        Expectation("ExpectTableColumnsToMatchSet", {"column_set": list(ENVELOPE), "exact_match": False})
    )
    out += [Expectation("ExpectColumnValuesToNotBeNull", {"column": c}) for c in NOT_NULL if c in present]
    if table == "tracks" and "event" in present:
        out.append(Expectation("ExpectColumnValuesToNotBeNull", {"column": "event"}))
    return out


def suites(columns: Columns) -> dict[str, list[Expectation]]:
    """A suite per Segment table of the schema (not ``discards`` nor our results)."""
    return {
        table: suite_for(table, list(cols))
        for table, cols in sorted(columns.items())
        if table not in (RESULTS_TABLE, DISCARDS_TABLE) and "id" in cols
    }


def run_suites(
    settings: Settings, integration_id: str, details: Mapping[str, Any], schema: str, columns: Columns
) -> list[CheckResult]:
    """Validate every table with its generated suite through GX, update Data Docs, and return one
    result per table (observed = failed expectations)."""
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="file", project_root_dir=str(project_dir(settings)))
    # No progress bars: a task log or `--json` output is no terminal.
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    url = _sqlalchemy_url(details)
    source = context.data_sources.add_or_update_postgres(
        name=f"eventyard-{integration_id}", connection_string=url
    )
    definitions = []
    for table, expectations in suites(columns).items():
        asset = source.add_table_asset(name=f"{schema}.{table}", table_name=table, schema_name=schema)
        batch = asset.add_batch_definition_whole_table("whole table")
        suite = context.suites.add_or_update(gx.ExpectationSuite(name=f"{integration_id}.{schema}.{table}"))
        for expectation in expectations:
            suite.add_expectation(getattr(gxe, expectation.name)(**expectation.kwargs))
        definitions.append(
            context.validation_definitions.add_or_update(
                gx.ValidationDefinition(name=f"{integration_id}.{schema}.{table}", data=batch, suite=suite)
            )
        )
    if not definitions:
        return []
    checkpoint = context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=f"eventyard-{integration_id}",
            validation_definitions=definitions,
            actions=[gx.checkpoint.UpdateDataDocsAction(name="data docs")],
        )
    )
    outcome = checkpoint.run()
    results = []
    for run in outcome.run_results.values():
        table = str(run.suite_name).rsplit(".", 1)[-1]
        failed = [r for r in run.results if not r.success]
        names = ", ".join(sorted({_describe(r) for r in failed}))
        results.append(
            CheckResult("gx_suite", table, len(failed), 0, bool(run.success),
                        f"{len(run.results)} expectations" + (f"; failed: {names}" if names else ""))
        )  # fmt: skip
    return results


def _describe(result: Any) -> str:
    config = result.expectation_config
    column = config.kwargs.get("column")
    return f"{config.type}({column})" if column else str(config.type)


def _sqlalchemy_url(details: Mapping[str, Any]) -> str:
    """A SQLAlchemy URL (psycopg 3) for the connection details (a libpq URI or its fields)."""
    from psycopg.conninfo import conninfo_to_dict
    from sqlalchemy.engine import URL

    info = conninfo_to_dict(conninfo(dict(details)))
    port = info.get("port")
    return URL.create(
        "postgresql+psycopg",
        username=str(info["user"]) if info.get("user") else None,
        password=str(info["password"]) if info.get("password") else None,
        host=str(info["host"]) if info.get("host") else None,
        port=int(str(port)) if port else None,
        database=str(info["dbname"]) if info.get("dbname") else None,
        query={"sslmode": str(info["sslmode"])} if info.get("sslmode") else {},
    ).render_as_string(hide_password=False)
