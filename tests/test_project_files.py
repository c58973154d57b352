"""Project files that are read by machines we cannot run here (Docker) or by CI: keep them structurally right."""

from __future__ import annotations

import subprocess
import tomllib

import pytest
import yaml

from tests.conftest import REPO_ROOT


def test_compose_services_wait_for_a_healthy_database_and_migration():
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) >= {"postgres", "migrate", "sidecar", "dashboard"}
    assert services["postgres"]["image"].startswith("postgres:16")
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in services["postgres"]["volumes"])
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["migrate"]["command"][-2:] == ["db", "upgrade"]
    for name in ("sidecar", "dashboard"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgresql+psycopg2://")
        assert services[name]["build"] == "."
    assert services["sidecar"]["command"] == ["python", "-m", "core.sync"]
    assert services["dashboard"]["ports"] == ["127.0.0.1:8501:8501"]  # reachable from this machine only
    assert not any("ports" in services[name] for name in ("postgres", "migrate", "sidecar"))
    assert "pgdata" in compose["volumes"]
    assert (REPO_ROOT / "Dockerfile").is_file()


def test_streamlit_config_is_locked_down_and_holds_no_secrets():
    text = (REPO_ROOT / ".streamlit" / "config.toml").read_text()
    config = tomllib.loads(text)
    assert config["server"]["headless"] is True
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"]["enableStaticServing"] is False
    assert config["client"]["showErrorDetails"] == "none"
    assert config["server"]["address"] == "127.0.0.1"  # this machine only unless told otherwise
    hosts = config["server"]["allowedHosts"]
    assert hosts and "*" not in hosts and all(h in ("localhost", "127.0.0.1", "::1") for h in hosts)
    assert not any(word in text.lower() for word in ("password", "secret_key", "api_key"))


def test_ci_runs_the_readme_test_command():
    assert "make test" in (REPO_ROOT / ".ci" / "run").read_text()
    head = "\n".join((REPO_ROOT / "README.md").read_text().splitlines()[:40])
    assert "make run" in head and "make test" in head


def test_requirements_are_pinned():
    for line in (REPO_ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            assert "==" in line, f"unpinned requirement: {line}"


def test_the_pure_pricing_contract_names_every_other_package_of_the_project():
    """import-linter's forbidden list is explicit: a new package of core must join it or pricing could import it."""
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    pricing = next(c for c in config["contracts"] if c["source_modules"] == ["core.pricing"])
    packages = {
        f"core.{p.stem if p.suffix == '.py' else p.name}"
        for p in (REPO_ROOT / "core").iterdir()
        if (p.suffix == ".py" and p.stem not in ("__init__", "__main__")) or (p / "__init__.py").is_file()
    }
    assert packages - {"core.pricing"} <= set(pricing["forbidden_modules"])


def test_no_test_module_imports_another():
    """Shared test helpers live in conftest.py or tests/support/, so a test file can move or go without breaking
    the others (and pytest never collects one file's tests twice through an import)."""
    import ast

    offenders = []
    for path in sorted((REPO_ROOT / "tests").rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            offenders += [
                f"{path.relative_to(REPO_ROOT)} -> {n}" for n in names if n.split(".")[-1].startswith("test_")
            ]
    assert offenders == []


def test_no_module_of_the_project_imports_itself_in_a_circle():
    """import-linter checks cycles between core's packages; this checks every module, TYPE_CHECKING imports too."""
    import grimp

    graph = grimp.build_graph("core", "ui", "pages", cache_dir=None)
    imports = {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        order[module] = low[module] = len(order)
        stack.append(module)
        for imported in imports[module]:
            if imported not in order:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], order[imported])
        if low[module] == order[module]:
            component = []
            while not component or component[-1] != module:
                component.append(stack.pop())
            if len(component) > 1:
                circles.append(sorted(component))

    for module in sorted(imports):
        if module not in order:
            visit(module)
    assert circles == []


@pytest.mark.slow
def test_make_dashboard_starts_the_dashboard_alone_on_the_given_port():
    plan = subprocess.run(
        ["make", "-n", "dashboard", "PORT=8765", "HOST=127.0.0.9"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "streamlit run dashboard.py --server.address 127.0.0.9 --server.port 8765" in plan
    assert "core.sync" not in plan and "Nothing to be done" not in plan
