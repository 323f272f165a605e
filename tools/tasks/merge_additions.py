"""Copier migration, after `copier update`: re-merge the files git left with conflicts
where the project's owner only added lines to what the template had generated.

Git's merge sees a conflict wherever both sides touched neighbouring lines: a router
registered next to a line the new version moved, notes appended to a README the new
version also extends, a name added to an import the new version rewrote. Copier leaves
the three versions of each such file in git's index (base, yours, the template's new
one). When yours differs from the base by added lines only, they are placed in the new
version: after the line they followed (wherever the new version moved it), at the end
for lines appended at the end, and names added to a `from ... import` go into the new
version's import of that module. Anything else (lines you changed or deleted), or a
Python file that would not parse, is left to git's markers and named by the report.
"""

from __future__ import annotations

import ast
import re
import subprocess
from difflib import SequenceMatcher
from pathlib import Path

LINE_LENGTH = 100  # the projects' ruff line-length


def git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout


def unmerged() -> dict[str, dict[int, str]]:
    """path -> {stage: blob}: 1 the base, 2 the project's, 3 the template's new version."""
    stages: dict[str, dict[int, str]] = {}
    for line in git("ls-files", "--unmerged").splitlines():
        info, path = line.split("\t", 1)
        _, blob, stage = info.split()
        stages.setdefault(path, {})[int(stage)] = blob
    return stages


def added_lines(base: list[str], ours: list[str]) -> list[tuple[int, int, int]] | None:
    """[(index in base, start and end in ours)] of the lines ours inserted, or None if ours
    changed or deleted a line."""
    insertions = []
    for tag, i1, _, j1, j2 in SequenceMatcher(None, base, ours, autojunk=False).get_opcodes():
        if tag == "insert":
            insertions.append((i1, j1, j2))
        elif tag != "equal":
            return None
    return insertions


def imported(source: str) -> dict[str, set[str]]:
    """Module -> names of the module-level `from module import name [as alias]` statements."""
    names: dict[str, set[str]] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.setdefault(node.module, set()).update(
                f"{alias.name} as {alias.asname}" if alias.asname else alias.name for alias in node.names
            )
    return names


def import_lines(source: str) -> set[int]:
    """0-based numbers of the lines of module-level `from ... import` statements."""
    return {
        number
        for node in ast.parse(source).body
        if isinstance(node, ast.ImportFrom) and node.end_lineno
        for number in range(node.lineno - 1, node.end_lineno)
    }


def sort_key(name: str) -> tuple[int, str]:
    # ruff's isort order within a statement: CONSTANTS, Classes, then everything else.
    bare = name.split(" as ")[0]
    return (0 if bare.isupper() and len(bare) > 1 else 1 if bare[:1].isupper() else 2, bare)


def add_imports(source: str, additions: dict[str, set[str]]) -> str | None:
    """The source with the names added to its `from module import` statements (None if a
    module has no such statement to add them to)."""
    lines = source.splitlines(keepends=True)
    for node in reversed(ast.parse(source).body):
        if not (isinstance(node, ast.ImportFrom) and node.module in additions and node.end_lineno):
            continue
        names = {f"{a.name} as {a.asname}" if a.asname else a.name for a in node.names}
        names |= additions.pop(node.module)
        ordered = sorted(names, key=sort_key)
        statement = f"from {node.module} import {', '.join(ordered)}\n"
        if len(statement) > LINE_LENGTH + 1:
            statement = f"from {node.module} import (\n" + "".join(f"    {n},\n" for n in ordered) + ")\n"
        lines[node.lineno - 1 : node.end_lineno] = [statement]
    return None if additions else "".join(lines)


def place(index: int, base: list[str], theirs: list[str], same: dict[int, int]) -> int | None:
    """Where lines inserted before base[index] go in theirs: at the end if they were
    appended, else after the line they followed (where the template moved it), else
    before the line they preceded; None if both neighbours are gone."""
    if index == len(base):
        return len(theirs)
    if index - 1 in same:
        return same[index - 1] + 1
    if index and base[index - 1].strip() and theirs.count(base[index - 1]) == 1:
        return theirs.index(base[index - 1]) + 1  # a line the template moved
    if index in same:
        return same[index]
    return None


def whole_statements(lines: list[str]) -> bool:
    try:
        return all(isinstance(node, ast.ImportFrom | ast.Import) for node in ast.parse("".join(lines)).body)
    except SyntaxError:
        return False


def merge(path: str, base_text: str, ours_text: str, theirs_text: str) -> str | None:
    base, ours = base_text.splitlines(keepends=True), ours_text.splitlines(keepends=True)
    theirs = theirs_text.splitlines(keepends=True)
    insertions = added_lines(base, ours)
    if insertions is None:
        return None
    python = path.endswith(".py")
    new_imports: dict[str, set[str]] = {}
    in_imports: set[int] = set()
    if python:
        try:
            in_imports = import_lines(ours_text)
            base_names, ours_names = imported(base_text), imported(ours_text)
        except SyntaxError:
            return None
        new_imports = {
            module: names - base_names.get(module, set())
            for module, names in ours_names.items()
            if names - base_names.get(module, set())
        }
    same = {}
    for block in SequenceMatcher(None, base, theirs, autojunk=False).get_matching_blocks():
        same.update({block.a + k: block.b + k for k in range(block.size)})
    placed: list[tuple[int, list[str]]] = []
    for index, start, end in insertions:
        lines = ours[start:end]
        position = place(index, base, theirs, same)
        in_an_import = python and all(
            number in in_imports or not ours[number].strip() for number in range(start, end)
        )
        if in_an_import and (position is None or not whole_statements(lines)):
            continue  # names added inside an import: merged by name below
        if position is None:
            return None
        placed.append((position, lines))
    merged = list(theirs)
    for position, lines in sorted(placed, key=lambda item: item[0], reverse=True):
        merged[position:position] = lines
    result = "".join(merged)
    if python:
        try:
            with_imports = add_imports(result, new_imports) if new_imports else result
            if with_imports is None:
                return None
            ast.parse(with_imports)
        except SyntaxError:
            return None
        result = with_imports
    return result


def main() -> None:
    resolved = []
    for path, stages in sorted(unmerged().items()):
        if sorted(stages) != [1, 2, 3] or path == "pyproject.toml":
            continue  # added or deleted on one side; dependency lists: conflicts.py merge
        try:
            base, ours, theirs = (git("cat-file", "blob", stages[n]) for n in (1, 2, 3))
        except (subprocess.CalledProcessError, UnicodeDecodeError):
            continue
        result = merge(path, base, ours, theirs)
        if result is None or re.search(r"^(<<<<<<<|>>>>>>>) ", result, re.MULTILINE):
            continue
        Path(path).write_text(result)
        git("add", "--", path)
        resolved.append(path)
    if resolved:
        print(
            "copier update: your additions to these files are merged into the template's new"
            f" version of them (check them, and run your tests): {', '.join(resolved)}."
        )


if __name__ == "__main__":
    main()
