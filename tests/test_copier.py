"""What copier.yml asks, accepts, rejects and writes."""

from __future__ import annotations

import ast
import os
import re
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.conftest import Render
from tools import matrix


def answers(project: Path) -> dict[str, object]:
    loaded: dict[str, object] = yaml.safe_load((project / ".copier-answers.yml").read_text())
    return loaded


def test_defaults_render_a_crud_project_on_sqlite(render: Render) -> None:
    project = render()
    recorded = answers(project)
    assert recorded["level"] == 2
    assert recorded["database"] == "sqlite"
    assert recorded["project_slug"] == "my-api"
    assert recorded["package_name"] == "my_api"
    package = project / "src" / "my_api"
    assert (package / "items" / "repository.py").is_file()
    assert "aiosqlite" in (project / "pyproject.toml").read_text()


def test_free_text_answers_are_escaped_where_they_land(render: Render) -> None:
    name, description = 'Acme "Orders" \\ API', 'Says "hi" with \\N{SNOWMAN}, \\u2603 and \'\'\' """'
    author, email = 'Ann O\'Brien \\ "Dev"', '"ann\\x"@example.com'
    for level in (1, 3):
        project = render(
            level=level, project_name=name, description=description, author_name=author, author_email=email
        )
        pyproject = tomllib.loads((project / "pyproject.toml").read_text())
        assert pyproject["project"]["description"] == description
        assert pyproject["project"]["authors"] == [{"name": author, "email": email}]
        package = project / "src" / str(answers(project)["package_name"])
        init = ast.parse((package / "__init__.py").read_text())
        assert ast.get_docstring(init) == f"{name}: {description}."
        for path in project.rglob("*.py"):
            compile(path.read_text(), str(path), "exec")  # raises on a broken literal
        docstring = ast.get_docstring(ast.parse((package / "main.py").read_text()))
        assert docstring
        assert docstring.startswith(f"{name}: " if level == 1 else "Application factory")


@pytest.mark.parametrize("question", ["project_name", "description", "author_name", "author_email"])
@pytest.mark.parametrize("text", ["two\nlines", "a\ttab", "carriage\rreturn", "escape\x1b"])
def test_free_text_answers_must_be_one_line(render: Render, question: str, text: str) -> None:
    value = f"x{text}@example.com" if question == "author_email" else text
    with pytest.raises(ValueError, match=r"one line|not an e-mail address"):
        render(**{question: value})


def test_the_default_python_is_the_newest_offered() -> None:
    spec = matrix.questions()["python_version"]
    offered = [tuple(map(int, version.split("."))) for version in spec["choices"]]
    assert tuple(map(int, spec["default"].split("."))) == max(offered)
    assert (3, 10) not in offered  # end-of-life since October 2026


def test_the_readme_options_table_matches_copier_yml() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    row = re.search(r"^\| `python_version` \| (.+) \| (.+) \|$", readme, re.MULTILINE)
    assert row, "README.md has no python_version row"
    spec = matrix.questions()["python_version"]
    assert row[1].split(", ") == spec["choices"]
    assert row[2] == spec["default"]
    levels = re.search(r"^\| `level` \| (.+) \| (.+) \|$", readme, re.MULTILINE)
    assert levels, "README.md has no level row"
    assert [int(level) for level in re.findall(r"(\d+) [A-Za-z]", levels[1])] == list(
        matrix.questions()["level"]["choices"].values()
    )
    assert int(levels[2]) == matrix.questions()["level"]["default"]


@pytest.mark.parametrize("version", matrix.questions()["python_version"]["choices"])
def test_every_python_setting_follows_the_answer(render: Render, version: str) -> None:
    project = render(level=3, database="postgresql", python_version=version)
    assert answers(project)["python_version"] == version
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["requires-python"] == f">={version}"
    assert pyproject["tool"]["ruff"]["target-version"] == f"py{version.replace('.', '')}"
    assert pyproject["tool"]["mypy"]["python_version"] == version
    assert (project / ".python-version").read_text() == f"{version}\n"
    assert f"ARG PYTHON_IMAGE=python:{version}-slim\n" in (project / "Dockerfile").read_text()
    assert f"PYTHON_IMAGE: ${{PYTHON_IMAGE:-python:{version}-slim}}" in (project / "compose.yaml").read_text()
    # uvloop 0.22.1 (faster than 0.23.0) has wheels up to 3.14 only.
    constraints = pyproject.get("tool", {}).get("uv", {}).get("constraint-dependencies", [])
    assert constraints == ([] if version == "3.15" else ["uvloop!=0.23.0"])
    # Nothing else names a Python version: no file assumes one the answer did not choose.
    others = [other for other in matrix.questions()["python_version"]["choices"] if other != version]
    for path in project.rglob("*"):
        if path.is_file():
            text = path.read_text()
            named = [other for other in others if re.search(rf"(?<![\d.]){re.escape(other)}(?![\d])", text)]
            assert not named, f"{path.relative_to(project)} names Python {named}"


def test_names_are_derived_from_the_project_name(render: Render) -> None:
    project = render(project_name="Acme Orders API!")
    recorded = answers(project)
    assert recorded["project_slug"] == "acme-orders-api"
    assert recorded["package_name"] == "acme_orders_api"
    assert (project / "src" / "acme_orders_api" / "main.py").is_file()


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"project_name": "   "}, "must not be empty"),
        ({"project_slug": "Bad Slug"}, "not a valid slug"),
        ({"project_slug": "1api"}, "not a valid slug"),
        ({"project_slug": "my--api"}, "not a valid slug"),
        ({"package_name": "My-Package"}, "not a valid package name"),
        ({"package_name": "class"}, "is a Python keyword"),
        ({"package_name": "fastapi"}, "would shadow a module"),
        ({"package_name": "tests"}, "would shadow a module"),
        ({"author_email": "not-an-email"}, "is not an e-mail address"),
        ({"python_version": "3.9"}, "Invalid choice"),
        ({"level": "abc"}, "Invalid choice for 'level': 'abc' is not in [1, 2, 3, 4, 5]"),
        ({"level": "9"}, "Invalid choice for 'level': 9 is not in [1, 2, 3, 4, 5]"),
        ({"level": 0}, "Invalid choice"),
        ({"level": 6}, "Invalid choice"),
        ({"database": "mysql"}, "Invalid choice"),
        ({"level": 3, "auth": "saml"}, "Invalid choice"),
    ],
)
def test_invalid_answers_are_rejected_with_a_reason(
    render: Render, tmp_path: Path, answer: dict[str, object], message: str
) -> None:
    destination = tmp_path / "rejected"
    with pytest.raises(ValueError, match=re.escape(message)):
        render(destination=destination, **answer)
    assert not destination.exists()


def test_level_1_has_no_database_whatever_is_answered(render: Render) -> None:
    project = render(level=1, database="postgresql")
    assert "database" not in answers(project)
    package = project / "src" / "my_api"
    assert sorted(path.name for path in package.iterdir()) == ["__init__.py", "main.py"]
    pyproject = (project / "pyproject.toml").read_text()
    assert "asyncpg" not in pyproject
    assert "sqlalchemy" not in pyproject
    assert not (project / ".env.example").exists()


def test_auth_is_asked_only_from_level_3(render: Render) -> None:
    crud = render(level=2, auth="oidc")
    assert "auth" not in answers(crud)
    assert not (crud / "src" / "my_api" / "auth").exists()
    assert not (crud / "src" / "my_api" / "users").exists()
    secured = render(level=3, auth="oidc")
    assert answers(secured)["auth"] == "oidc"
    assert (secured / "src" / "my_api" / "auth" / "jwks.py").is_file()
    assert not (secured / "src" / "my_api" / "auth" / "passwords.py").exists()


def test_level_3_defaults_to_jwt(render: Render) -> None:
    project = render(level=3)
    assert answers(project)["auth"] == "jwt"
    assert (project / "src" / "my_api" / "auth" / "tokens.py").is_file()


def test_the_database_swaps_only_the_data_access_modules(render: Render) -> None:
    projects = {db: render(database=db) for db in ("sqlite", "postgresql", "mongodb")}

    def read(database: str, relative: str) -> str:
        return (projects[database] / "src" / "my_api" / relative).read_text()

    for shared in ("items/router.py", "items/schemas.py", "main.py", "errors.py"):
        assert read("sqlite", shared) == read("postgresql", shared) == read("mongodb", shared)
    assert read("sqlite", "items/repository.py") == read("postgresql", "items/repository.py")
    assert read("mongodb", "items/repository.py") != read("sqlite", "items/repository.py")
    assert "AsyncMongoClient" in read("mongodb", "database.py")
    assert not (projects["mongodb"] / "src" / "my_api" / "items" / "models.py").exists()


@pytest.mark.parametrize(
    ("answers_", "secret_name"),
    [
        ({"database": "postgresql"}, "POSTGRES_PASSWORD"),
        ({"database": "mongodb"}, "MONGO_INITDB_ROOT_PASSWORD"),
        ({"level": 3, "auth": "jwt"}, "SECRET_KEY"),
    ],
)
def test_secrets_are_generated_into_env_and_nowhere_else(
    render: Render, answers_: dict[str, object], secret_name: str
) -> None:
    first, second = render(**answers_, tasks=True), render(**answers_, tasks=True)
    env = dict(line.split("=", 1) for line in (first / ".env").read_text().splitlines() if "=" in line)
    secret = env[secret_name]
    assert len(secret) >= 40
    assert "change-me" not in (first / ".env").read_text()
    if secret_name != "SECRET_KEY":
        assert f":{secret}@" in env["DATABASE_URL"]
    assert stat.S_IMODE((first / ".env").stat().st_mode) == 0o600
    assert secret not in (second / ".env").read_text()
    # Only .env holds it: not the answers file, not any file that git would commit.
    subprocess.run(["git", "init", "-q"], cwd=first, check=True)
    tracked = subprocess.run(
        ["git", "ls-files", "--others", "--exclude-standard"],
        cwd=first,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert ".env" not in tracked
    assert ".env.example" in tracked
    assert ".copier-answers.yml" in tracked
    assert "uv.lock" in tracked
    for name in tracked:
        assert secret not in (first / name).read_text(), name


def test_an_existing_env_keeps_its_values_and_gains_missing_settings(render: Render) -> None:
    project = render(database="postgresql", tasks=True)
    (project / ".env").write_text("POSTGRES_PASSWORD=mine\nDATABASE_URL=postgresql+asyncpg://x\n")
    render(database="postgresql", tasks=True, destination=project)
    lines = (project / ".env").read_text().splitlines()
    assert lines[:2] == ["POSTGRES_PASSWORD=mine", "DATABASE_URL=postgresql+asyncpg://x"]
    assert sorted(line.split("=")[0] for line in lines[2:]) == ["POSTGRES_DB", "POSTGRES_USER"]


def test_sqlite_needs_no_secret(render: Render) -> None:
    project = render(tasks=True)
    assert (project / ".env").read_text() == (project / ".env.example").read_text()


@pytest.mark.parametrize("combo", matrix.combinations(), ids=matrix.label)
def test_a_long_package_name_keeps_the_code_lint_clean(render: Render, combo: matrix.Combination) -> None:
    """Lines that name the package (imports above all) stay within the line length and
    the formatter's style however long the name is."""
    project = render(project_name="Inventory Management Service", **combo)
    assert (project / "src" / "inventory_management_service").is_dir()
    for command in (["check", "--quiet", "."], ["format", "--check", "--quiet", "."]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *command], cwd=project, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr


SHIM = Path.home() / ".pyenv" / "shims" / "uv"


@pytest.mark.skipif(not SHIM.exists(), reason="needs uv installed with pip into a pyenv Python")
def test_the_lock_task_finds_uv_behind_a_pyenv_shim(tmp_path: Path, host_python: str) -> None:
    """uv reached only through pyenv's shim, which fails in a project whose .python-version
    names a Python that has no uv: the lock is made all the same."""
    project = tmp_path / "project"
    # A shell's environment: no UV (set by `uv run`), no PYENV_VERSION (set by the shim
    # that started these tests, it would pin a Python that has uv).
    env = {
        name: value for name, value in os.environ.items() if name not in {"UV", "PYENV_VERSION", "PYENV_DIR"}
    }
    pythons_dir = str(Path(__file__).parent.parent / ".matrix" / "pythons")
    env["PATH"] = os.pathsep.join([pythons_dir, str(SHIM.parent), "/usr/bin", "/bin"])
    copier = Path(sys.executable).with_name("copier")
    command = [str(copier), "copy", "--trust", "--defaults", "--quiet", "--vcs-ref=HEAD"]
    command += [f"--data=python_version={host_python}", str(Path(__file__).parent.parent), str(project)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert (project / "uv.lock").is_file(), result.stdout + result.stderr
