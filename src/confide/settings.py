"""Confide's settings: the only place environment variables are read.

Every setting has an environment variable `CONFIDE_<NAME>`. Settings that an admin can also
change at run time (the sign-up mode, public share links) are stored in the database; an
environment variable that is set explicitly always wins over the stored value.
"""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
MIN_TOKEN_LENGTH = 16


class SignupMode(StrEnum):
    approval = "approval"
    open = "open"
    closed = "closed"


class LogFormat(StrEnum):
    text = "text"
    json = "json"


class Settings(BaseSettings):
    """All of Confide's configuration. See README.md for the table of settings."""

    model_config = SettingsConfigDict(env_prefix="CONFIDE_", extra="ignore", frozen=True)

    data_dir: Path = Field(
        default=Path("data"), description="Where the database, keys and files live."
    )
    host: str = Field(default="127.0.0.1", description="Address `confide serve` listens on.")
    port: int = Field(default=8080, ge=1, le=65535, description="Port `confide serve` uses.")
    database_url: str = Field(
        default="",
        description="SQLAlchemy async URL; empty means the SQLite file `<data dir>/confide.db`.",
    )
    redis_url: str = Field(
        default="",
        description="Redis for replicas (`redis://host:6379/0`): streams, stops, rate limits and "
        "cache invalidation shared by every replica; empty means this process alone.",
    )
    replica_timeout_seconds: int = Field(
        default=15,
        ge=3,
        le=3600,
        description="A replica not seen for this long is gone: another marks its unfinished "
        "replies `interrupted` (each replica says it is alive five times per period).",
    )
    job_lease_seconds: int = Field(
        default=300,
        ge=5,
        le=86400,
        description="A background job (file ingestion) whose replica has not renewed its claim "
        "for this long is taken over by another; longer than the slowest single step.",
    )
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        description="Proxies whose X-Forwarded-For/-Proto are trusted (comma list, or *).",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8080",
        description="The URL users reach Confide at; https makes session cookies Secure.",
    )
    signup_mode: SignupMode = Field(
        default=SignupMode.approval,
        description="`approval` (new accounts wait for an admin), `open` or `closed`.",
    )
    public_shares: bool = Field(
        default=False,
        description="Let share links marked public open for anyone, signed in or not.",
    )
    session_idle_minutes: int = Field(
        default=7 * 24 * 60, ge=5, description="A session unused this long ends."
    )
    session_max_days: int = Field(
        default=30, ge=1, le=400, description="A session ends this long after sign-in."
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated origins allowed to call the API cross-site; empty: none.",
    )
    log_format: LogFormat = Field(default=LogFormat.text, description="`text` or `json`.")
    log_level: str = Field(default="INFO", description="Python log level name.")
    master_key_file: Path | None = Field(
        default=None,
        description="Master key file; default `<data dir>/master.key`, created on first start.",
    )
    max_body_bytes: int = Field(
        default=25 * 1024 * 1024, ge=1024, description="Largest request body accepted."
    )
    import_max_bytes: int = Field(
        default=50 * 1024 * 1024,
        ge=1024,
        description="Largest chat export file `POST /api/chats/import` accepts.",
    )
    file_max_bytes: int = Field(
        default=50 * 1024 * 1024, ge=1024, description="Largest file `POST /api/files` accepts."
    )
    file_quota_bytes: int = Field(
        default=1024 * 1024 * 1024,
        ge=1024,
        description="Total size of the files one user may keep.",
    )
    login_rate_per_ip: int = Field(
        default=20, ge=1, description="Login and sign-up attempts per IP per window."
    )
    login_rate_per_account: int = Field(
        default=10, ge=1, description="Login attempts per account per window."
    )
    login_rate_window_seconds: int = Field(
        default=300, ge=1, description="Length of the login rate-limit window."
    )
    password_hash_memory_kib: int = Field(
        default=65536,
        ge=19456,
        description="argon2id memory cost; 19456 (19 MiB) is OWASP's minimum.",
    )
    context_budget_tokens: int = Field(
        default=8192,
        ge=256,
        description="History sent to a model is trimmed to about this many tokens.",
    )
    task_model: str = Field(
        default="",
        description="Model for chat titles; empty: the model that answered.",
    )
    api_docs: bool = Field(
        default=True, description="Serve the OpenAPI schema and docs to signed-in users."
    )
    web_pages: bool = Field(
        default=True,
        description="Let users attach public web pages to chat messages (fetched by the "
        "server, never from internal addresses).",
    )
    web_pages_allow: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated `address:port` pairs web pages may come from although "
        "internal (an intranet wiki: `10.0.0.5:443`, `[fd00::5]:443`); empty: none.",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token `/metrics` requires (at least 16 characters); with neither "
        "this nor metrics_networks set, `/metrics` answers 404.",
    )
    metrics_networks: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated networks (CIDR) `/metrics` answers, matched against the "
        "client address after trusted proxies; empty: any (then the token decides).",
    )
    shutdown_grace_seconds: int = Field(
        default=30,
        ge=0,
        le=3600,
        description="On SIGTERM, how long replies being generated may run on before they end "
        "as interrupted (their text kept).",
    )

    storage_url: str = Field(
        default="",
        description="Where uploaded files' sealed bytes go: empty for `<data dir>/files`, or "
        "`s3://bucket/optional/prefix` for an S3-compatible object store.",
    )
    storage_endpoint: str = Field(
        default="",
        description="The object store's URL (MinIO, Ceph, R2: `http://minio:9000`); empty: AWS.",
    )
    storage_region: str = Field(
        default="", description="The bucket's region; empty: boto3's default (us-east-1)."
    )
    storage_access_key_id: str = Field(
        default="",
        description="Object store access key id; empty (with the secret): boto3's default "
        "credentials (environment, shared file, instance role).",
    )
    storage_secret_access_key: SecretStr = Field(
        default=SecretStr(""), description="The secret for `storage_access_key_id`."
    )

    @field_validator("web_pages_allow")
    @classmethod
    def _check_allowed(cls, value: list[str]) -> list[str]:
        for pair in value:
            _address_port(pair)
        return value

    def allowed_addresses(self) -> frozenset[tuple[str, int]]:
        """`web_pages_allow` as (address, port) pairs."""
        return frozenset(_address_port(pair) for pair in self.web_pages_allow)

    @field_validator("metrics_token", mode="before")
    @classmethod
    def _unset_when_empty(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("metrics_token")
    @classmethod
    def _check_metrics_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_TOKEN_LENGTH:
            raise ValueError(f"must be at least {MIN_TOKEN_LENGTH} characters (a random one)")
        return value

    @field_validator("metrics_networks")
    @classmethod
    def _check_networks(cls, value: list[str]) -> list[str]:
        return [str(_network(item)) for item in value]

    def metrics_allowed_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """`metrics_networks` as network objects (a bare address is a network of one)."""
        return tuple(_network(item) for item in self.metrics_networks)

    @property
    def metrics_enabled(self) -> bool:
        """`/metrics` exists only once the operator restricted who may read it."""
        return self.metrics_token is not None or bool(self.metrics_networks)

    @field_validator("cors_origins", "web_pages_allow", "metrics_networks", mode="before")
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _check_origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            _require_origin(origin)
        return value

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, value: str) -> str:
        _require_origin(value, allow_path=True)
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if value and not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("storage_url")
    @classmethod
    def _check_storage_url(cls, value: str) -> str:
        if value:
            _bucket_and_prefix(value)
        return value

    @field_validator("storage_endpoint")
    @classmethod
    def _check_storage_endpoint(cls, value: str) -> str:
        if value:
            _require_origin(value)
        return value.rstrip("/")

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @model_validator(mode="after")
    def _check_session_lifetimes(self) -> Settings:
        if self.session_idle_minutes > self.session_max_days * 24 * 60:
            raise ValueError(
                "CONFIDE_SESSION_IDLE_MINUTES cannot exceed CONFIDE_SESSION_MAX_DAYS (in minutes)"
            )
        return self

    @model_validator(mode="after")
    def _check_storage_credentials(self) -> Settings:
        if bool(self.storage_access_key_id) != bool(
            self.storage_secret_access_key.get_secret_value()
        ):
            raise ValueError(
                "set both CONFIDE_STORAGE_ACCESS_KEY_ID and CONFIDE_STORAGE_SECRET_ACCESS_KEY, "
                "or neither (boto3's default credentials)"
            )
        return self

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir.resolve() / 'confide.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite")

    @property
    def key_file(self) -> Path:
        return self.master_key_file or self.data_dir / "master.key"

    @property
    def files_dir(self) -> Path:
        """Where uploaded files' sealed bytes live."""
        return self.data_dir / "files"

    @property
    def storage_bucket(self) -> str:
        """The S3 bucket of `storage_url`; empty when files stay on local disk."""
        return _bucket_and_prefix(self.storage_url)[0] if self.storage_url else ""

    @property
    def storage_prefix(self) -> str:
        """The object name prefix of `storage_url` (no slash at either end; may be empty)."""
        return _bucket_and_prefix(self.storage_url)[1] if self.storage_url else ""

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")

    @property
    def public_origin(self) -> str:
        parts = urlsplit(self.public_url)
        return f"{parts.scheme}://{parts.netloc}".lower()

    def explicitly_set(self, name: str) -> bool:
        """True when the operator set this setting (by environment), so it beats stored values."""
        return name in self.model_fields_set


def _network(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """`10.0.0.0/8`, `fd00::/8` or one address; host bits are dropped (`10.1.2.3/8` is
    `10.0.0.0/8`). ValueError, naming the value, when it is none of these."""
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError(f"{value!r} is not a network such as 10.0.0.0/8 or fd00::/8") from None


def _address_port(pair: str) -> tuple[str, int]:
    """`10.0.0.5:443` or `[fd00::5]:443` as (address, port); ValueError when it is not one."""
    host, _, port = pair.rpartition(":")
    problem = ValueError(f"{pair!r} is not an address:port pair such as 10.0.0.5:443")
    try:
        address, number = ipaddress.ip_address(host.removeprefix("[").removesuffix("]")), int(port)
    except ValueError:
        raise problem from None
    if not 0 < number < 65536:
        raise problem
    return str(address), number


def _bucket_and_prefix(url: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` as ("bucket", "some/prefix"); ValueError when it is not one."""
    parts = urlsplit(url)
    problem = ValueError(
        f"{url!r} is not s3://bucket/optional/prefix (leave it empty to keep files on disk)"
    )
    if "@" in parts.netloc:  # not echoed: it holds a secret
        raise ValueError(
            "cannot carry credentials: use CONFIDE_STORAGE_ACCESS_KEY_ID and "
            "CONFIDE_STORAGE_SECRET_ACCESS_KEY"
        )
    if parts.scheme != "s3" or parts.query or parts.fragment:
        raise problem
    bucket, prefix = parts.netloc, parts.path.strip("/")
    if not _BUCKET.fullmatch(bucket) or ".." in bucket:
        raise ValueError(f"{bucket!r} is not an S3 bucket name (3-63 of a-z, 0-9, '.', '-')")
    if prefix and any(segment in {"", ".", ".."} for segment in prefix.split("/")):
        raise problem
    return bucket, prefix


def _require_origin(value: str, *, allow_path: bool = False) -> None:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError(f"{value!r} is not an http(s) URL")
    if not allow_path and parts.path not in {"", "/"}:
        raise ValueError(f"{value!r} is an origin and cannot have a path")


class SettingsError(Exception):
    """Settings could not be loaded; the message is one line naming the setting."""


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment (and overrides), or raise SettingsError."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        message = str(first["msg"]).removeprefix("Value error, ")
        if not first["loc"]:  # a rule across settings: its message names them
            raise SettingsError(f"invalid settings: {message}") from None
        env = f"CONFIDE_{str(first['loc'][0]).upper()}"
        raise SettingsError(f"invalid setting {env}: {message}") from None
