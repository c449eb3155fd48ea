"""The manifest watcher (``LandedBatchesTrigger``): fires once per change of the landing manifest.

The scheduler end-to-end test (tests/dags/test_scheduler_e2e.py) shows it driving real DAG
runs; this one pins its semantics: silence on an empty or unchanged manifest, one event per
change, and no repeat after a restart that kept the asset state store.
"""

from __future__ import annotations

import json
import subprocess
import sys

from eventyard.airflow_support import airflow_env, project_root
from eventyard.settings import Settings


def test_fires_once_per_landing_and_remembers_across_restarts(sqlite_settings: Settings) -> None:
    env = airflow_env(sqlite_settings)
    env["PYTHONPATH"] = str(project_root())
    proc = subprocess.run(
        [sys.executable, "-m", "tests.runtime.trigger_script", "src_trigger_0000000001"],
        env=env, capture_output=True, text=True, timeout=240, check=False, cwd=project_root(),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = json.loads(proc.stdout.split("RESULT ", 1)[1])
    assert out["empty_manifest"] is None
    assert out["first"] == {"fingerprint": "1:1", "max_batch_seq": 1}
    assert out["nothing_new"] is None
    assert out["second"] == {"fingerprint": "2:2", "max_batch_seq": 2}
    assert out["after_restart"] is None, "a restart does not announce the same batches again"
    assert out["after_restart_new"] == {"fingerprint": "3:3", "max_batch_seq": 3}
    assert out["serialized"] == [
        "eventyard.runtime.landed_trigger.LandedBatchesTrigger",
        {"poll_seconds": 0.1, "database_url": None},
    ]
