"""The deploy kit stays true: the compose file names only real settings and has the shape
docs/operations.md describes; the image's final stage runs unprivileged, with no compiler,
node or ML framework; nginx streams without buffering.

No image is built and no container started here (the machines that run the suite cannot pull
base images): these read the files. `docker compose config` runs too where a compose CLI is
installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from confide.security.sealing import KeyRing
from confide.server import CLOSE_CONNECTIONS_SECONDS
from confide.settings import Settings

ROOT = Path(__file__).parent.parent
DEPLOY = ROOT / "deploy"
COMPOSE_FILE = DEPLOY / "docker-compose.yml"
# Settings the scale-out branches add (Redis, S3 storage); the compose file already uses them.
# Once they are in Settings, this set can go.
COMPILERS = re.compile(r"\b(gcc|g\+\+|clang|build-essential|cmake|make|nodejs|npm|cargo|rustc)\b")
ML_FRAMEWORKS = {"torch", "tensorflow", "jax", "transformers", "sentence-transformers", "keras"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text("utf-8"))
    return loaded


def replicas(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = compose["services"]
    return {name: s for name, s in services.items() if "serve" in s.get("command", [])}


def test_the_compose_file_names_only_real_settings(compose: dict[str, Any]) -> None:
    known = {f"CONFIDE_{name.upper()}" for name in Settings.model_fields}
    named = {
        variable
        for service in compose["services"].values()
        for variable in service.get("environment", {})
        if variable.startswith("CONFIDE_")
    }
    assert named, "no CONFIDE_ setting in the compose file"
    assert named - known == set()


def test_two_replicas_share_one_read_only_key_and_wait_for_one_migration(
    compose: dict[str, Any],
) -> None:
    serving = replicas(compose)
    assert len(serving) >= 2
    migrate = compose["services"]["migrate"]
    assert migrate["command"] == ["confide", "migrate"]
    assert migrate["restart"] == "no"
    key = compose["secrets"]["master_key"]["file"]
    for name, service in serving.items():
        condition = service["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully", name
        env = service["environment"]
        (secret,) = service["secrets"]
        assert compose["secrets"][secret["source"]]["file"] == key
        assert env["CONFIDE_MASTER_KEY_FILE"] == secret["target"]
        assert env["CONFIDE_DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert service["read_only"] is True
        assert service["tmpfs"] == ["/tmp"]
        assert any(v.endswith(":/data") for v in service["volumes"]), name


def test_replicas_get_time_to_drain_before_docker_kills_them(compose: dict[str, Any]) -> None:
    for name, service in replicas(compose).items():
        grace = int(service["environment"]["CONFIDE_SHUTDOWN_GRACE_SECONDS"])
        stop = int(service["stop_grace_period"].removesuffix("s"))
        assert stop > grace + CLOSE_CONNECTIONS_SECONDS, name


def test_metrics_and_forwarded_addresses_match_the_networks(compose: dict[str, Any]) -> None:
    nets = {n: c["ipam"]["config"][0]["subnet"] for n, c in compose["networks"].items()}
    nginx = compose["services"]["nginx"]["networks"]["edge"]["ipv4_address"]
    for service in replicas(compose).values():
        env = service["environment"]
        assert env["CONFIDE_FORWARDED_ALLOW_IPS"] == nginx
        assert env["CONFIDE_METRICS_NETWORKS"] == nets["backend"]
    assert compose["networks"]["backend"]["internal"] is True


def test_nginx_streams_unbuffered_to_every_replica(compose: dict[str, Any]) -> None:
    conf = (DEPLOY / "nginx.conf").read_text("utf-8")
    assert "proxy_buffering off;" in conf
    assert "proxy_read_timeout 1h;" in conf
    assert re.search(r"location = /metrics \{\s*return 404;", conf)
    for name in replicas(compose):
        assert f"server {name}:8080" in conf


def test_compose_config_validates_where_a_compose_cli_exists(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("POSTGRES_PASSWORD=test-only\nMINIO_ROOT_PASSWORD=test-only\n")
    if shutil.which("docker") and _works(["docker", "compose", "version"]):
        command = ["docker", "compose"]
    elif shutil.which("docker-compose"):
        command = ["docker-compose"]
    else:
        pytest.skip("no docker compose CLI on this machine; the checks above read the file")
    checked = subprocess.run(
        [*command, "-f", str(COMPOSE_FILE), "--env-file", str(env), "config", "-q"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr


def _works(command: list[str]) -> bool:
    done = subprocess.run(command, capture_output=True, check=False)
    return done.returncode == 0


# --- the Dockerfile ---------------------------------------------------------------------------


def stages() -> list[list[str]]:
    """The Dockerfile's stages, each a list of instructions (continuation lines joined)."""
    text = (ROOT / "Dockerfile").read_text("utf-8").replace("\\\n", " ")
    found: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            found.append([])
        if found:
            found[-1].append(line)
    return found


def test_the_final_stage_runs_unprivileged_without_compilers_or_node() -> None:
    *builders, final = stages()
    assert len(builders) == 2
    assert "node" not in final[0]
    users = [line.split()[1] for line in final if line.startswith("USER ")]
    assert users, "no USER in the final stage"
    assert users[-1].split(":")[0] not in {"root", "0"}
    installs = " ".join(line for line in final if "apt-get install" in line)
    assert not COMPILERS.search(installs), installs
    copies = [line for line in final if line.startswith("COPY")]
    assert copies == ["COPY --from=build /opt/confide /opt/confide"]
    assert "EXPOSE 8080" in final
    assert any(line.startswith("HEALTHCHECK") and "/healthz" in line for line in final)
    assert final[-1] == 'CMD ["confide", "serve", "--host", "0.0.0.0"]'


def test_the_builder_makes_the_locked_portable_environment() -> None:
    web, build, _ = stages()
    assert "npm ci" in " ".join(web) and "npm run build" in " ".join(web)
    text = " ".join(build)
    assert 'CMAKE_ARGS="-DGGML_NATIVE=OFF"' in text
    assert "uv sync --frozen --no-dev --no-editable" in text


def test_the_build_context_is_an_allow_list() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "**"  # everything out, then only what the Dockerfile copies
    allowed = {line[1:] for line in lines if line.startswith("!")}
    assert allowed == {"pyproject.toml", "uv.lock", "README.md", "src/", "frontend/"}


def test_the_runtime_dependencies_hold_no_ml_framework() -> None:
    """What `uv sync --no-dev` installs, read from the lock: the project's dependencies and
    theirs (with the extras asked for), never the dev group."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text("utf-8"))
    packages = {p["name"]: p for p in lock["package"]}
    seen: set[tuple[str, str]] = set()  # (package, extra); "" is its plain dependencies
    todo = _wanted(packages["confide"]["dependencies"])
    while todo:
        name, extra = todo.pop()
        if (name, extra) in seen:
            continue
        seen.add((name, extra))
        package = packages[name]
        if extra:
            todo += _wanted(package.get("optional-dependencies", {}).get(extra, []))
        else:
            todo += _wanted(package.get("dependencies", []))
    installed = {name for name, _ in seen}
    assert {"llama-cpp-python", "numpy", "uvicorn"} <= installed  # the walk finds the real ones
    assert installed & ML_FRAMEWORKS == set()


def _wanted(dependencies: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(package, extra) pairs a list of lock dependencies asks for; the lock's overrides
    mark what is never installed with `sys_platform == 'never'`."""
    return [
        (d["name"], extra)
        for d in dependencies
        if "'never'" not in d.get("marker", "")
        for extra in ("", *d.get("extra", []))
    ]


def test_the_key_script_makes_a_key_confide_accepts(tmp_path: Path) -> None:
    target = tmp_path / "master.key"
    made = subprocess.run(
        [str(DEPLOY / "make-master-key.sh"), str(target)], capture_output=True, check=False
    )
    assert made.returncode == 0, made.stderr
    assert target.stat().st_mode & 0o777 == 0o400
    ring = KeyRing.load(target)
    assert len(ring.key(ring.current_id)) == 32
    again = subprocess.run(
        [str(DEPLOY / "make-master-key.sh"), str(target)], capture_output=True, check=False
    )
    assert again.returncode == 1  # never overwrites a key data is sealed under
