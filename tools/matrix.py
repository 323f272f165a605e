"""The test matrix, read from copier.yml.

A combination is one answer for each *axis*: a question whose answer decides which
files a project gets. Choices come from copier.yml, and a question is left out of a
combination when its `when` rule is false for the answers before it, exactly as
Copier would not ask it. A choice whose own `validator` objects is not offered.
Nothing here lists combinations by hand: add a choice to copier.yml and it is tested.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import yaml

ROOT = Path(__file__).resolve().parent.parent
COPIER_YML = ROOT / "copier.yml"
AXES = ("level", "database", "auth")

Combination = dict[str, Any]


@cache
def questions() -> dict[str, dict[str, Any]]:
    config = yaml.safe_load(COPIER_YML.read_text())
    return {name: spec for name, spec in config.items() if not name.startswith("_")}


def _render(expression: Any, context: dict[str, Any]) -> Any:
    if not isinstance(expression, str):
        return expression
    return jinja2.Environment(autoescape=False).from_string(expression).render(context).strip()


def _is_true(value: Any) -> bool:
    # Copier's cast of a rendered `when` to a boolean.
    if isinstance(value, str):
        return value.lower() not in {"", "false", "no", "off", "0", "null", "none", "~"}
    return bool(value)


def _choices(spec: dict[str, Any], context: dict[str, Any]) -> list[Any]:
    choices = spec["choices"]
    items = choices.values() if isinstance(choices, dict) else choices
    offered = []
    for choice in items:
        if isinstance(choice, dict):
            if _render(choice.get("validator", ""), context):
                continue
            choice = choice["value"]
        offered.append(choice)
    return offered


def combinations() -> list[Combination]:
    axes = [name for name in questions() if name in AXES]
    combos: list[Combination] = [{}]
    for name in axes:
        spec = questions()[name]
        grown: list[Combination] = []
        for combo in combos:
            if not _is_true(_render(spec.get("when", True), combo)):
                grown.append(combo)
                continue
            grown.extend({**combo, name: value} for value in _choices(spec, combo))
        combos = grown
    return combos


def label(combo: Combination) -> str:
    """`level=2, database='postgresql'`: how nox names a session of this combination."""
    return ", ".join(f"{name}={value!r}" for name, value in combo.items())


def slug(combo: Combination) -> str:
    """`level2-postgresql`: a name for files and Docker projects."""
    return "-".join(f"{name}{value}" if name == "level" else str(value) for name, value in combo.items())


def other_pythons() -> list[str]:
    """The Python versions a project may target, but the default."""
    spec = questions()["python_version"]
    return [version for version in _choices(spec, {}) if version != spec["default"]]


def widest_combinations() -> list[Combination]:
    """The combinations of the highest level on the default database: every module a
    project can have but the other databases' data access."""
    combos = combinations()
    top = max(combo["level"] for combo in combos)
    database = questions()["database"]["default"]
    return [combo for combo in combos if combo["level"] == top and combo["database"] == database]
