"""Configuration from the environment, validated at start-up."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated

from croniter import croniter
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

QUEUE_NAME = "metrics-processor"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    redis_url: str | None = None
    mongodb_url: str | None = None
    mongodb_db: str = "event_service"
    data_dir: Path = Field(
        Path("data"), description="the SQLite store and the embedded valkey's append-only file (created at start)"
    )
    run_worker: bool = Field(
        True, description="run the SAQ worker inside the API process; `event-service api` sets it to false"
    )
    admin_token: SecretStr | None = None
    redis_timeout: float = Field(
        3.0,
        ge=1.5,
        description="seconds to connect to Redis or wait for one reply; above the worker's blocking dequeue",
    )
    mongodb_timeout_ms: int = Field(
        3000, ge=100, description="milliseconds to find a MongoDB server, connect to it, or wait for one reply"
    )
    max_upload_bytes: int = Field(1 << 30, gt=0)
    upload_rate_limit: int = Field(60, gt=0, description="uploads per minute per client")
    process_rate_limit: int = Field(120, gt=0, description="process requests per minute per client")
    worker_concurrency: int = Field(10, gt=0)
    compute_workers: int = Field(0, ge=0, description="processes parsing CSV chunks; 0 parses inline")
    job_retries: int = Field(5, ge=1, description="attempts per job before it is dead-lettered")
    job_retry_delay: float = Field(1.0, ge=0)
    job_retry_max_delay: float = Field(60.0, gt=0)
    job_timeout: int = Field(300, ge=1)
    max_event_types: int = Field(1000, ge=1, description="distinct event types the whole service accepts")
    ingest_timeout: int = Field(
        3600, ge=1, description="seconds after which a batch still ingesting is a dead upload's, and is swept"
    )
    metrics_cache_ttl: int = Field(300, ge=0, description="seconds daily totals stay cached in Redis; 0 disables")
    worker_shutdown_grace: int = Field(
        30, ge=0, description="seconds a stopping worker lets its running jobs finish before cancelling them"
    )
    worker_sweep_interval: int = Field(60, ge=1, description="seconds between a worker's looks for stuck jobs")
    dlq_max_entries: int = Field(10_000, ge=1, description="dead letters kept per queue, oldest dropped first")
    dlq_retention_days: float = Field(7, gt=0, description="days a dead letter is kept")
    light_job_rate: float = Field(50, ge=0, description="light jobs started per second, all workers; 0: no limit")
    heavy_job_rate: float = Field(5, ge=0, description="heavy jobs started per second, all workers; 0: no limit")
    heavy_job_rows: int = Field(100_000, ge=1, description="rows from which processing a batch is a heavy job")
    reprocess_cron: str = Field("5 0 * * *", description="when (cron, UTC) yesterday's totals are recomputed")
    readiness_timeout: float = Field(2.0, gt=0, description="seconds each dependency has to answer GET /-/ready")
    shutdown_grace_seconds: int = Field(
        40,
        ge=1,
        description="seconds in-flight requests (and, in serve, running jobs) have to finish after SIGTERM before the "
        "API is killed; above WORKER_SHUTDOWN_GRACE",
    )
    worker_metrics_port: int | None = Field(
        None, ge=1, le=65535, description="`event-service worker` serves Prometheus metrics on HOST:this port"
    )
    log_format: str = Field("auto", pattern="^(auto|json|console)$")
    log_level: str = Field("INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$")
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = Field(
        (), description="addresses or networks whose X-Forwarded-For names the client (comma-separated)"
    )

    @field_validator("redis_url", "mongodb_url", "admin_token", "worker_metrics_port", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("mongodb_url")
    @classmethod
    def _mongodb_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("mongodb://", "mongodb+srv://")):
            raise ValueError("must start with mongodb:// or mongodb+srv://")
        return value

    @field_validator("reprocess_cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        if not croniter.is_valid(value):
            raise ValueError(f"{value!r} is not a cron expression (minute hour day month weekday)")
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        """``10.0.0.1, 10.1.0.0/16`` as normalized networks; anything but an IP address or network is refused."""
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list | tuple):
            return value
        networks = []
        for item in (str(item).strip() for item in items):
            if not item:
                continue
            try:
                networks.append(str(ipaddress.ip_network(item, strict=False)))
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network (such as 10.0.0.0/8)") from None
        return tuple(networks)

    @model_validator(mode="after")
    def _backoff_cap(self) -> Settings:
        if self.job_retry_max_delay < self.job_retry_delay:
            raise ValueError("JOB_RETRY_MAX_DELAY must not be below JOB_RETRY_DELAY")
        return self

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "event-service.sqlite3"


class ConfigurationError(Exception):
    """The environment holds an invalid setting; the message names each one."""


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']).upper()}: {error['msg']}" for error in exc.errors()
        )
        raise ConfigurationError(f"invalid configuration: {problems}") from None
