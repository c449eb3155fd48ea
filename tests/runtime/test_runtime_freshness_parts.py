"""Parts of ``eventyard bench freshness`` (the whole benchmark starts the real stack; see docs)."""

from __future__ import annotations

import httpx

from eventyard.runtime.freshness import ArrivalReceiver, FreshnessResult, _component, _switches, percentiles


def test_percentiles_and_latencies() -> None:
    result = FreshnessResult(sent={"a": 100.0, "b": 100.0, "c": 100.0}, in_warehouse={"a": 104.0, "b": 110.0})
    assert result.latencies(result.in_warehouse) == [4.0, 10.0]  # "c" never arrived: not counted
    p = percentiles([float(x) for x in range(1, 101)])
    assert p["p50"] == 50.5 and round(p["p95"], 2) == 95.05 and p["max"] == 100.0


def test_receiver_notes_the_first_arrival_of_each_message() -> None:
    receiver = ArrivalReceiver()
    try:
        httpx.post(receiver.url, json=[{"messageId": "m1"}, {"messageId": "m2"}]).raise_for_status()
        first = receiver.arrived["m1"]
        httpx.post(receiver.url, json={"messageId": "m1"}).raise_for_status()
        assert receiver.arrived["m1"] == first and set(receiver.arrived) == {"m1", "m2"}
    finally:
        receiver.close()


def test_processes_are_attributed_to_their_service() -> None:
    assert (
        _component(["/venv/bin/python3", "/venv/bin/airflow", "scheduler", "--skip-serve-logs"])
        == "scheduler"
    )
    assert _component(["airflow worker -- LocalExecutor: <idle>"]) == "scheduler"
    assert _component(["airflow api_server -- host:127.0.0.1 port:8280"]) == "api-server"
    assert _component(["/venv/bin/python3", "/venv/bin/eventyard", "collector", "--port", "1"]) == "collector"
    assert _component(["/venv/bin/python3", "/venv/bin/eventyard", "up"]) == "supervisor"
    # `eventyard up --collector-port ...` is the supervisor, not the collector it starts.
    up = ["/venv/bin/python3", "/venv/bin/eventyard", "up", "--collector-port", "1", "--houston-port", "2"]
    assert _component(up) == "supervisor"
    assert _component(["/venv/bin/python3", "-m", "eventyard.collector.lander", "123"]) == "collector"
    paced = ["/venv/bin/python3", "-m", "eventyard.runtime.airflow_pacing", "triggerer", "--skip-serve-logs"]
    assert _component(paced) == "triggerer"


def test_wake_ups_count_every_thread() -> None:
    import threading
    import time

    import psutil

    slept, finish = threading.Event(), threading.Event()

    def sleeper() -> None:
        for _ in range(50):  # each sleep is a voluntary context switch of this thread
            time.sleep(0.001)
        slept.set()
        finish.wait()

    me = psutil.Process()
    before = _switches(me)
    thread = threading.Thread(target=sleeper)
    thread.start()
    slept.wait()
    during = _switches(me)  # the sleeper is still alive: its switches are counted
    finish.set()
    thread.join()
    assert during - before >= 50
