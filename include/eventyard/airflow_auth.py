"""Who may log in to Airflow, and the secrets Airflow's processes must share.

On a laptop (``EVENTYARD_ENVIRONMENT=development``) the API server binds to loopback and
everyone is an admin, as ``airflow standalone`` does. Outside development Airflow's
SimpleAuthManager asks for a login: one admin, ``EVENTYARD_AIRFLOW_ADMIN_USERNAME`` with
``EVENTYARD_AIRFLOW_ADMIN_PASSWORD``, written by ``eventyard airflow-init`` into the auth
manager's passwords file (decision 0024). Admin-for-all is refused there.

Airflow's processes also share two secrets: the key that signs the task tokens the scheduler
hands to workers and the API server checks (``[api_auth] jwt_secret``), and the API server's
session key. Each process otherwise generates its own, which breaks as soon as they run on
separate machines (a Celery worker's task is refused by the API server). Both are derived from
``EVENTYARD_SECRET_KEY`` unless the operator sets Airflow's own variables.

So is the Fernet key (``[core] fernet_key``), in every environment: Airflow encrypts with it
what it stores for other processes to read, among them the arguments of the landing watcher's
trigger, which the DAG processor writes and the triggerer reads. Airflow otherwise generates a
key per home when it first writes ``airflow.cfg``, and a triggerer on another machine (its own
home) then fails on ``InvalidToken`` and dies: batches land, and no run starts until the
safety-net cron (decision 0039). A key already in the home's ``airflow.cfg`` is kept as a second
key, so whatever an earlier install encrypted with it stays readable.
"""

from __future__ import annotations

import base64
import configparser
import json
import os
from collections.abc import MutableMapping
from pathlib import Path

from eventyard.errors import FatalError
from eventyard.settings import Settings

ALL_ADMINS = "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"
USERS = "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"
PASSWORDS_FILE = "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"
AUTH_MANAGER = "AIRFLOW__CORE__AUTH_MANAGER"
SIMPLE_AUTH_MANAGER = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
JWT_SECRET = "AIRFLOW__API_AUTH__JWT_SECRET"
API_SECRET_KEY = "AIRFLOW__API__SECRET_KEY"
FERNET_KEY = "AIRFLOW__CORE__FERNET_KEY"
JWT_PURPOSE = b"eventyard/airflow-jwt/v1"
FERNET_PURPOSE = b"eventyard/airflow-fernet/v1"
API_KEY_PURPOSE = b"eventyard/airflow-api-session/v1"


class AirflowAuthError(FatalError, RuntimeError):
    """Airflow's login is misconfigured (admin-for-all outside development, no admin password)."""


def apply_auth_defaults(settings: Settings, env: MutableMapping[str, str]) -> None:
    """Fill Airflow's auth settings into ``env`` (values already there win, within the rules)."""
    if settings.environment == "development":
        # A laptop install: no login page in front of the UI (the API server binds to loopback).
        env.setdefault(ALL_ADMINS, "True")
        return
    if env.get(ALL_ADMINS, "False").strip().lower() in {"true", "1", "t", "yes"}:
        raise AirflowAuthError(
            f"{ALL_ADMINS}=True makes every visitor an admin; it is refused when"
            f" EVENTYARD_ENVIRONMENT={settings.environment}"
        )
    env[ALL_ADMINS] = "False"
    env.setdefault(JWT_SECRET, _derived(settings, JWT_PURPOSE))
    env.setdefault(API_SECRET_KEY, _derived(settings, API_KEY_PURPOSE))
    if env.setdefault(AUTH_MANAGER, SIMPLE_AUTH_MANAGER) != SIMPLE_AUTH_MANAGER:
        return  # the operator's auth manager (FAB, Keycloak) has its own users
    env.setdefault(USERS, f"{settings.airflow_admin_username}:admin")
    env.setdefault(PASSWORDS_FILE, str(Path(env["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json"))


def apply_fernet_default(settings: Settings, env: MutableMapping[str, str]) -> None:
    """Set Airflow's Fernet key(s) in ``env``: derived from our secret key, then the home's old one.

    An operator's ``AIRFLOW__CORE__FERNET_KEY`` wins. Before ``eventyard init`` there is no
    secret key yet: Airflow then keeps its own (one home, one machine: nothing to share).
    """
    if env.get(FERNET_KEY):
        return
    try:
        derived = _derived(settings, FERNET_PURPOSE)
    except RuntimeError:
        return
    config = Path(env.get("AIRFLOW_CONFIG") or Path(env["AIRFLOW_HOME"]) / "airflow.cfg")
    older = [key for key in _configured_fernet_keys(config) if key != derived]
    env[FERNET_KEY] = ",".join([derived, *older])  # the first encrypts, every one decrypts


def _configured_fernet_keys(config: Path) -> list[str]:
    """The Fernet keys an existing ``airflow.cfg`` names (none if it is absent or unreadable)."""
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read(config, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return []
    value = parser.get("core", "fernet_key", fallback="") or ""
    return [key.strip() for key in value.split(",") if key.strip()]


def _derived(settings: Settings, purpose: bytes) -> str:
    from eventyard.crypto import derive_key

    return base64.urlsafe_b64encode(derive_key(settings.resolved_secret_key(), purpose)).decode()


def write_admin_password(settings: Settings, env: MutableMapping[str, str]) -> Path | None:
    """Write the admin's password into the auth manager's passwords file; ``None`` on a laptop.

    The file is the SimpleAuthManager's own (JSON ``{username: password}``, read at every
    login). Writing it at init from the environment secret replaces the random password the
    auth manager would otherwise generate and print to its log; other users in the file are
    kept, so an operator may add more.
    """
    if settings.environment == "development" or PASSWORDS_FILE not in env:
        return None  # a laptop (admin-for-all), or another auth manager with its own users
    if settings.airflow_admin_password is None:
        raise AirflowAuthError(
            f"EVENTYARD_ENVIRONMENT={settings.environment}: set EVENTYARD_AIRFLOW_ADMIN_PASSWORD,"
            " the password of Airflow's admin user"
        )
    path = Path(env[PASSWORDS_FILE])
    path.parent.mkdir(parents=True, exist_ok=True)
    passwords: dict[str, str] = json.loads(path.read_text() or "{}") if path.exists() else {}
    passwords[settings.airflow_admin_username] = settings.airflow_admin_password.get_secret_value()
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(json.dumps(passwords) + "\n")
    tmp.replace(path)
    return path
