"""The live debugger: recent events per source, for members of its organization only."""

from __future__ import annotations

from pathlib import Path

import orjson

from eventyard.collector.debugger import DebuggerRing
from eventyard.houston.security import issue_token
from tests.collector.api.conftest import BASIC, WK, Collector


def token(col: Collector, who: str) -> str:
    return issue_token(col.settings, col.ids[who], 0)


def test_member_sees_accepted_and_rejected_events_newest_first(col: Collector) -> None:
    col.client.post("/v1/track", json={"userId": "u", "event": "First"}, headers=BASIC)
    col.client.post("/v1/batch", json={"batch": [{"type": "track", "event": "Bad"}], "writeKey": WK})
    response = col.client.get(
        f"/debugger/{WK}/events.json", headers={"Authorization": f"Bearer {token(col, 'member')}"}
    )
    assert response.status_code == 200
    events = response.json()["events"]
    assert events[0]["message"]["event"] == "Bad"
    assert events[0]["rejected"]["code"] == "no_user_anon_id"
    assert any(e["message"]["event"] == "First" and e["rejected"] is None for e in events)


def test_member_of_another_organization_gets_403(col: Collector) -> None:
    headers = {"Authorization": f"Bearer {token(col, 'outsider')}"}
    response = col.client.get(f"/debugger/{WK}/events.json", headers=headers)
    assert response.status_code == 403
    assert col.client.get(f"/debugger/{WK}", headers=headers).status_code == 403


def test_no_or_bad_token_gets_401(col: Collector) -> None:
    assert col.client.get(f"/debugger/{WK}/events.json").status_code == 401
    assert col.client.get(f"/debugger/{WK}", params={"token": "not-a-jwt"}).status_code == 401
    bad = col.client.get(f"/debugger/{WK}/events.json", headers={"Authorization": "Bearer not-a-jwt"})
    assert bad.status_code == 401


def test_unknown_source(col: Collector) -> None:
    headers = {"Authorization": f"Bearer {token(col, 'member')}"}
    assert col.client.get("/debugger/nosuchsource/events.json", headers=headers).status_code == 404


def test_page_with_token_in_query(col: Collector) -> None:
    response = col.client.get(f"/debugger/{WK}", params={"token": token(col, "member")})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "events.json" in response.text and "setTimeout(poll, 500)" in response.text


def test_rings_are_shared_between_workers_through_the_spool_dir(tmp_path: Path) -> None:
    worker_a, worker_b = DebuggerRing(3, tmp_path), DebuggerRing(3, tmp_path)
    worker_b._pid = worker_a._pid + 1  # two processes in real life
    for i in range(5):
        record = {"sourceId": WK, "receivedAt": f"2024-01-01T00:00:0{i}.000Z", "message": {"n": i}}
        (worker_a if i % 2 else worker_b).add(WK, orjson.dumps(record))
    worker_a.publish()
    worker_b.publish()
    assert [e["message"]["n"] for e in worker_a.recent(WK)] == [4, 3, 2]
    assert [e["message"]["n"] for e in worker_b.recent(WK)] == [4, 3, 2]
    worker_b.forget_own_snapshots()
    assert [e["message"]["n"] for e in worker_a.recent(WK)] == [3, 1]


def _set_password(col: Collector, who: str, password: str) -> None:
    from eventyard.db.engine import engine_for, session_scope
    from eventyard.db.models import User
    from eventyard.houston.security import hash_password

    with session_scope(engine_for(col.settings.resolved_database_url)) as session:
        user = session.get(User, col.ids[who])
        assert user is not None
        user.password_hash = hash_password(password)


def test_page_without_a_token_asks_for_a_houston_login_instead(col: Collector) -> None:
    # The Airflow UI's "Live debugger" tab opens the page with no token in its URL.
    page = col.client.get(f"/debugger/{WK}")
    assert page.status_code == 200 and '<form id="login"' in page.text
    assert "recent events" in page.text and "sessionStorage" in page.text
    _set_password(col, "member", "member password 1")
    _set_password(col, "outsider", "outsider password 1")

    wrong = col.client.post(f"/debugger/{WK}/login", json={"username": "m@acme.test", "password": "nope"})
    assert wrong.status_code == 401 and wrong.json()["success"] is False
    outsider = col.client.post(
        f"/debugger/{WK}/login", json={"username": "o@other.test", "password": "outsider password 1"}
    )
    assert outsider.status_code == 403, "a valid login of another organization may not watch"
    assert col.client.post(f"/debugger/{WK}/login", content=b"not json").status_code == 400

    ok = col.client.post(
        f"/debugger/{WK}/login", json={"username": "m@acme.test", "password": "member password 1"}
    )
    assert ok.status_code == 200 and ok.json()["success"] is True
    events = col.client.get(
        f"/debugger/{WK}/events.json", headers={"Authorization": f"Bearer {ok.json()['token']}"}
    )
    assert events.status_code == 200 and "events" in events.json()


def test_page_script_parses(col: Collector) -> None:
    # The page is plain JavaScript with no build step: make sure a browser can parse it at all.
    import shutil
    import subprocess

    node = shutil.which("node")
    assert node, "node is needed (make setup installs the npm packages with it)"
    script = col.client.get(f"/debugger/{WK}").text.split("<script>")[1].split("</script>")[0]
    check = subprocess.run(
        [node, "-e", "new Function(require('fs').readFileSync(0, 'utf8'))"],
        input=script, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert check.returncode == 0, check.stderr
