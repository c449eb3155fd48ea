"""The one place that reads the environment.

Every setting has an embedded default so that a fresh clone runs with no configuration:
state lives under ``EVENTYARD_HOME`` (default ``./.eventyard``), the control DB is SQLite
there, the landing zone is a local directory there, and the secret key is generated there
by ``eventyard init``.  Real services are one environment variable away.

``EVENTYARD_ENVIRONMENT`` is ``development`` (the default: a laptop, anything goes) or
``production``. Outside development, secrets must be set and must not be the placeholders the
examples ship (``change-me...``), and Houston's GraphQL explorer and introspection are off unless
turned on explicitly; a bad value stops the process at start-up with the variable's name.
"""

from __future__ import annotations

import secrets
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from eventyard.errors import BadInputError

SECRET_KEY_FILE = "secret.key"
# What the shipped examples (.env.example, docker-compose.yaml) put where a secret goes.
PLACEHOLDER_PREFIXES = ("change-me", "changeme", "changethis")


class PlaceholderSecretError(BadInputError, ValueError):
    """A secret still holds an example's placeholder (or is missing) outside development."""


def is_placeholder(value: str) -> bool:
    """Whether ``value`` is one of the examples' placeholders rather than a real secret."""
    return value.strip().lower().startswith(PLACEHOLDER_PREFIXES)


class Settings(BaseSettings):
    """Eventyard configuration, read from ``EVENTYARD_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="EVENTYARD_", extra="ignore")

    environment: Literal["development", "production"] = Field(
        default="development", description="production refuses placeholder secrets and hides the explorer."
    )
    home: Path = Field(default=Path(".eventyard"), description="State directory.")
    database_url: str | None = Field(
        default=None, description="Control DB URL; SQLite under home when unset."
    )
    landing_url: str | None = Field(
        default=None, description="file://..., s3://bucket/prefix; a directory under home when unset."
    )
    s3_endpoint_url: str | None = Field(
        default=None, description="Endpoint of an S3-compatible server (MinIO, moto)."
    )
    s3_region: str = "us-east-1"
    secret_key: SecretStr | None = Field(
        default=None, description="Key for JWTs and for encrypting connection details."
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000", description="Houston's public base URL, used in emailed links."
    )
    collector_public_url: str = Field(
        default="http://127.0.0.1:8080", description="Collector's public base URL (settings, snippets)."
    )

    # Houston
    jwt_ttl_hours: int = 24
    graphql_explorer: bool = True
    graphql_introspection: bool = True
    graphql_max_depth: int = 12
    graphql_max_tokens: int = 2000
    graphql_max_aliases: int = 15
    login_max_failures: int = 5
    login_lockout_seconds: int = 300
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    mail_from: str = "Eventyard <no-reply@eventyard.local>"

    # Airflow's login (``eventyard airflow-init`` writes the auth manager's users from these)
    airflow_admin_username: str = Field(default="admin", pattern=r"^[A-Za-z0-9_.@-]+$")
    airflow_admin_password: SecretStr | None = Field(
        default=None, description="The Airflow UI admin's password; required outside development."
    )
    airflow_pacing: bool = Field(
        default=True,
        description="Development only: `eventyard up`/`airflow` pace Airflow's idle housekeeping loops "
        "(eventyard.runtime.airflow_pacing); false runs Airflow's services exactly as shipped.",
    )

    # Collector
    spool_dir: Path | None = Field(default=None, description="Spool directory; under home when unset.")
    # Seal and land the active segment after this long: the first part of send -> warehouse time.
    flush_interval_seconds: float = Field(default=5.0, ge=0.05, le=600)
    flush_max_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    spool_fsync: Literal["blocking", "aio"] = Field(
        default="blocking",
        description="How small group commits wait for fdatasync: 'blocking' on the event loop, or "
        "'aio' (Linux AIO completed through an eventfd: the loop keeps serving meanwhile; a better "
        "median and far better p99 when other work shares the machine, more CPU; decision 0040).",
    )
    writekey_cache_seconds: float = Field(default=5.0, ge=0)
    debugger_size: int = Field(default=200, ge=1)
    collector_max_header_bytes: int = Field(
        default=64 * 1024,
        ge=8 * 1024,
        description="Request line + headers; larger requests get 431. Room for a 32 KiB event in ?data=.",
    )
    collector_header_timeout_seconds: float = Field(
        default=10.0, gt=0, description="A request's headers must arrive within this; else 408 and close."
    )

    # Loading and delivery
    load_chunk_batches: int = Field(default=50, ge=1)
    delivery_retry_window_seconds: int = Field(default=4 * 3600, ge=1)
    delivery_concurrency: int = Field(default=8, ge=1)
    delivery_inline_retry_seconds: float = Field(
        default=30.0, ge=0, description="Waiting for short retries allowed inside one delivery cycle."
    )
    delivery_max_batches_per_cycle: int = Field(default=200, ge=1)

    @model_validator(mode="after")
    def _production_defaults(self) -> Self:
        """Outside development: real secrets only, and no GraphQL explorer unless asked for."""
        if self.environment == "development":
            for name in self._placeholder_secrets():
                warnings.warn(
                    f"EVENTYARD_{name.upper()} is a placeholder: fine on a laptop only", stacklevel=2
                )
            return self
        bad = self._placeholder_secrets()
        if self.secret_key is None:
            bad.insert(0, "secret_key")
        if bad:
            names = ", ".join(f"EVENTYARD_{name.upper()}" for name in bad)
            raise PlaceholderSecretError(
                f"EVENTYARD_ENVIRONMENT={self.environment} needs real secrets: set {names} to a long"
                " random value (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )
        for name in ("graphql_explorer", "graphql_introspection"):
            if name not in self.model_fields_set:
                setattr(self, name, False)
        return self

    def _placeholder_secrets(self) -> list[str]:
        """Names of the settings whose secret is an example's placeholder."""
        found = [
            name
            for name in ("secret_key", "smtp_password", "airflow_admin_password")
            if (value := getattr(self, name)) is not None and is_placeholder(value.get_secret_value())
        ]
        if self.database_url:
            password = make_url(self.database_url).password
            if password is not None and is_placeholder(str(password)):
                found.append("database_url")
        return found

    @property
    def resolved_database_url(self) -> str:
        """The control DB URL, defaulting to a SQLite file in the state dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'control.db').resolve()}"

    @property
    def resolved_landing_url(self) -> str:
        """Where Parquet batches land, defaulting to a directory in the state dir."""
        if self.landing_url:
            return self.landing_url
        return (self.home / "landing").resolve().as_uri()

    @property
    def resolved_spool_dir(self) -> Path:
        """The collector's local spool directory."""
        return (self.spool_dir or self.home / "spool").resolve()

    @property
    def outbox_dir(self) -> Path:
        """Where mails are written as .eml files when no SMTP server is configured."""
        return (self.home / "outbox").resolve()

    def resolved_secret_key(self) -> str:
        """The secret key: the env var if set, else the key file written by ``init``.

        Raises ``RuntimeError`` with a clear message if neither exists, because silently
        generating a key here would make tokens and encrypted connections unreadable to the
        next process.
        """
        if self.secret_key is not None and self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value()
        key_file = self.home / SECRET_KEY_FILE
        if key_file.exists():
            return key_file.read_text().strip()
        raise RuntimeError(
            f"No secret key: set EVENTYARD_SECRET_KEY or run `eventyard init` to create {key_file}"
        )

    def ensure_secret_key(self) -> str:
        """Return the secret key, generating it into the state dir if none is configured."""
        try:
            return self.resolved_secret_key()
        except RuntimeError:
            self.home.mkdir(parents=True, exist_ok=True)
            key_file = self.home / SECRET_KEY_FILE
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
            return key_file.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests call ``get_settings.cache_clear()`` after changing env)."""
    return Settings()
