"""The matrix is computed from copier.yml: its choices, `when` rules and choice validators."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tools import matrix


def test_matrix_of_the_current_copier_yml() -> None:
    assert matrix.combinations() == [
        {"level": 1},
        {"level": 2, "database": "sqlite"},
        {"level": 2, "database": "postgresql"},
        {"level": 2, "database": "mongodb"},
        *(
            {"level": level, "database": database, "auth": auth}
            for level in (3, 4, 5)
            for database in ("sqlite", "postgresql", "mongodb")
            for auth in ("jwt", "api_key", "oidc")
        ),
    ]


def test_other_pythons_and_widest_combinations() -> None:
    assert matrix.other_pythons() == ["3.11", "3.12", "3.13", "3.14"]
    assert matrix.widest_combinations() == [
        {"level": 5, "database": "sqlite", "auth": auth} for auth in ("jwt", "api_key", "oidc")
    ]


def test_labels_and_slugs() -> None:
    combo = {"level": 2, "database": "postgresql"}
    assert matrix.label(combo) == "level=2, database='postgresql'"
    assert matrix.slug(combo) == "level2-postgresql"


def test_when_rules_and_choice_validators_shape_the_matrix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copier_yml = tmp_path / "copier.yml"
    copier_yml.write_text(
        """
_subdirectory: template
project_name: {type: str, default: x}
level: {type: int, choices: {one: 1, two: 2, three: 3}}
database:
  type: str
  when: "{{ level >= 2 }}"
  choices: [sqlite, postgresql]
auth:
  type: str
  when: "{{ level >= 3 }}"
  choices:
    jwt: jwt
    session: {value: session, validator: "{% if database == 'postgresql' %}no{% endif %}"}
"""
    )
    monkeypatch.setattr(matrix, "COPIER_YML", copier_yml)
    matrix.questions.cache_clear()
    try:
        assert matrix.combinations() == [
            {"level": 1},
            {"level": 2, "database": "sqlite"},
            {"level": 2, "database": "postgresql"},
            {"level": 3, "database": "sqlite", "auth": "jwt"},
            {"level": 3, "database": "sqlite", "auth": "session"},
            {"level": 3, "database": "postgresql", "auth": "jwt"},
        ]
    finally:
        matrix.questions.cache_clear()


def test_the_two_streams_of_scripts_test_run_every_default_session_once() -> None:
    """scripts/test runs the nox sessions as two streams, each named: none left out."""
    root = Path(__file__).resolve().parent.parent
    tree = ast.parse((root / "noxfile.py").read_text())
    defaults = next(
        ast.literal_eval(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "nox.options.sessions"
    )
    streams = re.findall(r"uv run nox -s ([\w ]+?)(?: 2>&1| \|\|)", (root / "scripts" / "test").read_text())
    assert len(streams) == 2
    named = [name for stream in streams for name in stream.split()]
    assert sorted(named) == sorted(defaults)
