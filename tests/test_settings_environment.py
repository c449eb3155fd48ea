"""EVENTYARD_ENVIRONMENT: placeholder secrets refused outside development, secrets as SecretStr,
production defaults for Houston's explorer, and Airflow's login (decision 0024)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from eventyard.airflow_auth import AirflowAuthError, write_admin_password
from eventyard.airflow_support import airflow_env
from eventyard.settings import Settings

REAL = "k" * 48


def prod(**values: object) -> Settings:
    """Production settings from keyword values (no environment involved)."""
    base: dict[str, object] = {"environment": "production", "secret_key": REAL}
    return Settings(**{**base, **values})  # type: ignore[arg-type]


def test_secrets_are_secretstr_and_hidden_from_repr() -> None:
    settings = prod(smtp_password="s" * 20, airflow_admin_password="a" * 20)
    assert isinstance(settings.secret_key, SecretStr) and isinstance(settings.smtp_password, SecretStr)
    assert REAL not in repr(settings) and "s" * 20 not in repr(settings)
    assert settings.resolved_secret_key() == REAL


@pytest.mark.parametrize(
    ("field", "value", "variable"),
    [
        ("secret_key", "change-me-to-a-long-random-string", "EVENTYARD_SECRET_KEY"),
        ("smtp_password", "changethis", "EVENTYARD_SMTP_PASSWORD"),
        ("airflow_admin_password", "CHANGE-ME", "EVENTYARD_AIRFLOW_ADMIN_PASSWORD"),
        ("database_url", "postgresql://eventyard:change-me@db/eventyard", "EVENTYARD_DATABASE_URL"),
    ],
)
def test_production_refuses_placeholders_with_the_variables_name(
    field: str, value: str, variable: str
) -> None:
    with pytest.raises(ValidationError, match=variable):
        prod(**{field: value})


def test_production_needs_a_secret_key_and_development_does_not() -> None:
    with pytest.raises(ValidationError, match="EVENTYARD_SECRET_KEY"):
        Settings(environment="production")
    with pytest.warns(UserWarning, match="placeholder"):
        dev = Settings(secret_key="change-me-please")  # type: ignore[arg-type]
    assert dev.environment == "development" and dev.secret_key is not None


def test_production_hides_the_explorer_unless_asked() -> None:
    assert (prod().graphql_explorer, prod().graphql_introspection) == (False, False)
    assert prod(graphql_explorer=True).graphql_explorer is True
    assert Settings().graphql_explorer is True  # development keeps it


def test_unknown_environment_is_refused() -> None:
    with pytest.raises(ValidationError, match="environment"):
        Settings(environment="staging")  # type: ignore[arg-type]


def test_the_cli_reports_a_placeholder_in_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVENTYARD_")}
    env.update(
        EVENTYARD_HOME=str(tmp_path),
        EVENTYARD_ENVIRONMENT="production",
        EVENTYARD_SECRET_KEY="change-me-to-a-long-random-string",
    )
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("eventyard")), "init"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "invalid configuration" in proc.stderr and "EVENTYARD_SECRET_KEY" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_airflow_login_is_on_outside_development(tmp_path: Path) -> None:
    settings = prod(home=tmp_path, airflow_admin_password="p" * 24)
    env = airflow_env(settings, {})
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"] == "False"
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] == "admin:admin"
    # Every Airflow process derives the same task-token key from the one secret.
    again = airflow_env(prod(home=tmp_path / "other"), {})
    assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == again["AIRFLOW__API_AUTH__JWT_SECRET"] != REAL
    assert "AIRFLOW__CORE__PARALLELISM" not in env, "no laptop sizing in production"

    path = write_admin_password(settings, env)
    assert path is not None and json.loads(path.read_text()) == {"admin": "p" * 24}
    assert path.stat().st_mode & 0o077 == 0, "only the owner reads the passwords file"
    with pytest.raises(AirflowAuthError, match="ALL_ADMINS"):
        airflow_env(settings, {"AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True"})
    with pytest.raises(AirflowAuthError, match="EVENTYARD_AIRFLOW_ADMIN_PASSWORD"):
        write_admin_password(prod(home=tmp_path), env)
    # Another auth manager keeps its own users: only the shared keys are filled in.
    fab = airflow_env(settings, {"AIRFLOW__CORE__AUTH_MANAGER": "airflow.providers.fab.FabAuthManager"})
    assert "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS" not in fab and fab["AIRFLOW__API_AUTH__JWT_SECRET"]
    assert write_admin_password(settings, fab) is None


def test_a_laptop_keeps_admin_for_all_on_loopback(tmp_path: Path) -> None:
    env = airflow_env(Settings(home=tmp_path), {})
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"] == "True"
    assert env["AIRFLOW__API__HOST"] == "127.0.0.1"
    assert write_admin_password(Settings(home=tmp_path), env) is None


def test_every_airflow_home_gets_the_same_fernet_key_and_keeps_its_old_one(tmp_path: Path) -> None:
    from cryptography.fernet import Fernet

    first = airflow_env(prod(home=tmp_path / "a"), {})["AIRFLOW__CORE__FERNET_KEY"]
    assert airflow_env(prod(home=tmp_path / "b"), {})["AIRFLOW__CORE__FERNET_KEY"] == first
    Fernet(first)  # a valid key, not the secret itself
    assert REAL not in first
    # A home whose airflow.cfg Airflow wrote with a key of its own keeps that key second.
    old = Fernet.generate_key().decode()
    home = tmp_path / "c" / "airflow"
    home.mkdir(parents=True)
    (home / "airflow.cfg").write_text(f"[core]\nfernet_key = {old}\n")
    env = airflow_env(prod(home=tmp_path / "c"), {"AIRFLOW_HOME": str(home)})
    assert env["AIRFLOW__CORE__FERNET_KEY"] == f"{first},{old}"
    # The operator's own key wins.
    mine = Fernet.generate_key().decode()
    assert (
        airflow_env(prod(home=tmp_path), {"AIRFLOW__CORE__FERNET_KEY": mine})["AIRFLOW__CORE__FERNET_KEY"]
        == mine
    )
    # Before `eventyard init` there is no secret to derive it from: Airflow keeps its own.
    assert "AIRFLOW__CORE__FERNET_KEY" not in airflow_env(Settings(home=tmp_path / "fresh"), {})


def test_what_airflow_encrypts_on_one_machine_another_decrypts(tmp_path: Path) -> None:
    """The DAG processor writes the landing watcher's trigger encrypted; a triggerer with its own
    home (another machine) must read it. Each home's airflow.cfg has a key Airflow generated."""
    from cryptography.fernet import Fernet

    code = (
        "import sys\n"
        "from airflow.models.crypto import get_fernet\n"
        "f = get_fernet()\n"
        "print(f.encrypt(b'landing watcher').decode() if sys.argv[1] == 'encrypt'"
        " else f.decrypt(sys.argv[2].encode()).decode())\n"
    )

    def run(machine: str, *args: str) -> str:
        home = tmp_path / machine / "airflow"
        home.mkdir(parents=True, exist_ok=True)
        (home / "airflow.cfg").write_text(f"[core]\nfernet_key = {Fernet.generate_key().decode()}\n")
        env = airflow_env(
            prod(home=tmp_path / machine), {"PATH": os.environ.get("PATH", ""), "AIRFLOW_HOME": str(home)}
        )
        done = subprocess.run(
            [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout.strip().splitlines()[-1]

    token = run("dag-processor", "encrypt")
    assert run("triggerer", "decrypt", token) == "landing watcher"
