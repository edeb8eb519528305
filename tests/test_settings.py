from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from confide.settings import LogFormat, Settings, SettingsError, SignupMode, load_settings


def test_defaults() -> None:
    settings = Settings()
    assert settings.data_dir == Path("data")
    assert settings.sqlalchemy_url == f"sqlite+aiosqlite:///{Path('data').resolve()}/confide.db"
    assert settings.is_sqlite
    assert settings.key_file == Path("data/master.key")
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.signup_mode is SignupMode.approval
    assert settings.cors_origins == []
    assert settings.log_format is LogFormat.text
    assert settings.secure_cookies is False
    assert settings.public_origin == "http://127.0.0.1:8080"


def test_the_database_url_follows_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "elsewhere")
    assert settings.sqlalchemy_url == f"sqlite+aiosqlite:///{tmp_path / 'elsewhere'}/confide.db"
    pg = Settings(database_url="postgresql+asyncpg://u@db/confide")
    assert pg.sqlalchemy_url == "postgresql+asyncpg://u@db/confide"
    assert not pg.is_sqlite


def test_settings_come_from_confide_prefixed_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONFIDE_PORT", "9000")
    monkeypatch.setenv("CONFIDE_SIGNUP_MODE", "open")
    monkeypatch.setenv("CONFIDE_MASTER_KEY_FILE", "/run/secrets/confide.key")
    monkeypatch.setenv("HOST", "192.0.2.1")  # not ours: ignored
    settings = Settings()
    assert settings.port == 9000
    assert settings.signup_mode is SignupMode.open
    assert settings.key_file == Path("/run/secrets/confide.key")
    assert settings.host == "127.0.0.1"


def test_cors_origins_are_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONFIDE_CORS_ORIGINS", " https://a.example, http://b.example:8443/ ,,")
    assert Settings().cors_origins == ["https://a.example", "http://b.example:8443/"]
    monkeypatch.setenv("CONFIDE_CORS_ORIGINS", "")
    assert Settings().cors_origins == []


def test_internal_web_page_addresses_are_allowed_one_by_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CONFIDE_WEB_PAGES_ALLOW", " 10.0.0.5:443, [fd00::5]:8080 ,,")
    assert Settings().allowed_addresses() == {("10.0.0.5", 443), ("fd00::5", 8080)}
    assert Settings(web_pages_allow=[]).allowed_addresses() == frozenset()


@pytest.mark.parametrize("origin", ["https://a.example/path", "a.example", "ftp://a.example"])
def test_a_cors_origin_must_be_an_origin(origin: str) -> None:
    with pytest.raises(ValidationError, match="cors_origins"):
        Settings(cors_origins=origin)


def test_explicitly_set(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not Settings().explicitly_set("signup_mode")
    assert Settings(signup_mode="closed").explicitly_set("signup_mode")
    monkeypatch.setenv("CONFIDE_SIGNUP_MODE", "approval")  # set to the default: still explicit
    assert Settings().explicitly_set("signup_mode")
    assert not Settings().explicitly_set("port")


def test_https_public_urls_make_cookies_secure() -> None:
    settings = Settings(public_url="https://Chat.Example.org/confide/")
    assert settings.secure_cookies
    assert settings.public_url == "https://Chat.Example.org/confide"
    assert settings.public_origin == "https://chat.example.org"
    assert not Settings(public_url="http://chat.example.org").secure_cookies


def test_an_idle_timeout_longer_than_the_session_is_refused() -> None:
    Settings(session_idle_minutes=24 * 60, session_max_days=1)
    with pytest.raises(ValidationError, match="IDLE_MINUTES cannot exceed"):
        Settings(session_idle_minutes=24 * 60 + 1, session_max_days=1)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CONFIDE_PORT", "abc"),
        ("CONFIDE_PORT", "70000"),
        ("CONFIDE_SIGNUP_MODE", "maybe"),
        ("CONFIDE_PUBLIC_URL", "ftp://x"),
        ("CONFIDE_DATABASE_URL", "mysql://x"),
        ("CONFIDE_LOG_LEVEL", "LOUD"),
        ("CONFIDE_PASSWORD_HASH_MEMORY_KIB", "1024"),
        ("CONFIDE_WEB_PAGES_ALLOW", "localhost:80"),
        ("CONFIDE_WEB_PAGES_ALLOW", "10.0.0.5"),
        ("CONFIDE_WEB_PAGES_ALLOW", "10.0.0.5:0"),
        ("CONFIDE_WEB_PAGES_ALLOW", "10.0.0.5:http"),
    ],
)
def test_load_settings_names_the_bad_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"invalid setting {name}: ")
    assert "\n" not in message


def test_load_settings_names_the_lifetimes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONFIDE_SESSION_IDLE_MINUTES", "100000")
    monkeypatch.setenv("CONFIDE_SESSION_MAX_DAYS", "1")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value) == (
        "invalid settings: CONFIDE_SESSION_IDLE_MINUTES cannot exceed CONFIDE_SESSION_MAX_DAYS "
        "(in minutes)"
    )


def test_settings_are_frozen() -> None:
    with pytest.raises(ValidationError):
        Settings().port = 1  # type: ignore[misc]


def test_files_stay_on_disk_unless_a_storage_url_is_set() -> None:
    settings = Settings()
    assert (settings.storage_url, settings.storage_bucket, settings.storage_prefix) == ("", "", "")
    assert settings.storage_secret_access_key.get_secret_value() == ""


@pytest.mark.parametrize(
    ("url", "bucket", "prefix"),
    [
        ("s3://confide-files", "confide-files", ""),
        ("s3://confide-files/", "confide-files", ""),
        ("s3://my.bucket-2/prod/confide/", "my.bucket-2", "prod/confide"),
    ],
)
def test_a_storage_url_names_a_bucket_and_a_prefix(url: str, bucket: str, prefix: str) -> None:
    settings = Settings(storage_url=url)
    assert (settings.storage_bucket, settings.storage_prefix) == (bucket, prefix)


@pytest.mark.parametrize(
    "url",
    [
        "/var/lib/confide/files",
        "file:///var/lib/confide/files",
        "gs://bucket/prefix",
        "s3://",
        "s3://Upper-Case",
        "s3://ab",
        "s3://under_score",
        "s3://-dash-first",
        "s3://two..dots",
        "s3://user:secret@bucket",  # pragma: allowlist secret
        "s3://bucket/a//b",
        "s3://bucket/../elsewhere",
        "s3://bucket/prefix?versionId=1",
    ],
)
def test_a_bad_storage_url_is_refused_in_one_line_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("CONFIDE_STORAGE_URL", url)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith("invalid setting CONFIDE_STORAGE_URL: ")
    assert "\n" not in message
    assert "secret" not in message  # credentials in the URL are not echoed


def test_the_storage_endpoint_is_an_http_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings(storage_endpoint="http://minio:9000/").storage_endpoint == "http://minio:9000"
    for bad in ("minio:9000", "ftp://minio", "http://minio:9000/bucket"):
        monkeypatch.setenv("CONFIDE_STORAGE_ENDPOINT", bad)
        with pytest.raises(SettingsError, match=r"^invalid setting CONFIDE_STORAGE_ENDPOINT: "):
            load_settings()


@pytest.mark.parametrize(
    "given", ["CONFIDE_STORAGE_ACCESS_KEY_ID", "CONFIDE_STORAGE_SECRET_ACCESS_KEY"]
)
def test_storage_credentials_come_in_pairs(monkeypatch: pytest.MonkeyPatch, given: str) -> None:
    monkeypatch.setenv(given, "only-half-of-it")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert "CONFIDE_STORAGE_ACCESS_KEY_ID" in message and "CONFIDE_STORAGE_SECRET" in message
    assert "only-half-of-it" not in message


def test_the_storage_secret_is_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONFIDE_STORAGE_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("CONFIDE_STORAGE_SECRET_ACCESS_KEY", "wJalrXUtnFEMI-example")
    settings = load_settings()
    assert settings.storage_secret_access_key.get_secret_value() == "wJalrXUtnFEMI-example"
    assert "wJalrXUtnFEMI" not in repr(settings) and "wJalrXUtnFEMI" not in str(settings)


def test_metrics_are_off_until_restricted(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not Settings().metrics_enabled
    monkeypatch.setenv("CONFIDE_METRICS_TOKEN", "")  # set but empty: still off
    assert Settings().metrics_token is None
    assert not Settings().metrics_enabled
    monkeypatch.setenv("CONFIDE_METRICS_TOKEN", "0123456789abcdef")
    settings = Settings()
    assert settings.metrics_enabled
    assert settings.metrics_token is not None
    assert "0123456789abcdef" not in repr(settings)  # a secret: never in a log line


def test_a_short_metrics_token_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONFIDE_METRICS_TOKEN", "secret")
    with pytest.raises(SettingsError, match="CONFIDE_METRICS_TOKEN: must be at least 16"):
        load_settings()


def test_metrics_networks_are_comma_separated_networks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONFIDE_METRICS_NETWORKS", " 10.1.2.3/8, 192.168.5.7 ,fd00::/8,,")
    settings = Settings()
    assert settings.metrics_networks == ["10.0.0.0/8", "192.168.5.7/32", "fd00::/8"]
    assert settings.metrics_enabled
    assert [str(n) for n in settings.metrics_allowed_networks()] == settings.metrics_networks


@pytest.mark.parametrize("value", ["10.0.0.0/33", "metrics.example", "10.0.0.0/8;"])
def test_a_metrics_network_that_is_none_is_named(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("CONFIDE_METRICS_NETWORKS", value)
    with pytest.raises(SettingsError, match=r"CONFIDE_METRICS_NETWORKS: .* is not a network"):
        load_settings()


def test_shutdown_grace_period(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().shutdown_grace_seconds == 30
    monkeypatch.setenv("CONFIDE_SHUTDOWN_GRACE_SECONDS", "0")
    assert Settings().shutdown_grace_seconds == 0
    monkeypatch.setenv("CONFIDE_SHUTDOWN_GRACE_SECONDS", "-1")
    with pytest.raises(SettingsError, match="CONFIDE_SHUTDOWN_GRACE_SECONDS"):
        load_settings()
