"""The update's re-merge of files where the user only added lines, and its release notes."""

from __future__ import annotations

import pytest

from tools.tasks.merge_additions import merge
from tools.tasks.release_notes import crossed, releases, version_key

BASE_MAIN = """def create_app() -> FastAPI:
    app = FastAPI()
    app.include_router(items_router)

    return app
"""
MOVED_MAIN = """def create_app() -> FastAPI:
    app = FastAPI()

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(items_router)

    return app
"""


def test_lines_added_after_a_line_the_template_moved_follow_it() -> None:
    ours = BASE_MAIN.replace(
        "    app.include_router(items_router)\n",
        "    app.include_router(items_router)\n    app.include_router(ping_router)\n",
    )

    merged = merge("main.py", BASE_MAIN, ours, MOVED_MAIN)

    assert merged == MOVED_MAIN.replace(
        "    app.include_router(items_router)\n",
        "    app.include_router(items_router)\n    app.include_router(ping_router)\n",
    )


def test_lines_appended_at_the_end_stay_at_the_end() -> None:
    base = "# API\n\nText.\n"
    ours = base + "\n## Our notes\n"
    theirs = base + "\n## Notes\n\nYours below.\n"

    assert merge("README.md", base, ours, theirs) == theirs + "\n## Our notes\n"


def test_names_added_to_an_import_the_template_rewrote_join_its_new_import() -> None:
    base = "from pydantic import (\n    AfterValidator,\n    BaseModel,\n)\n\nX = 1\n"
    ours = "from pydantic import (\n    AfterValidator,\n    BaseModel,\n    computed_field,\n)\n\nX = 1\n"
    theirs = "from pydantic import BaseModel, Field\n\nX = 1\n"

    merged = merge("schemas.py", base, ours, theirs)

    assert merged == "from pydantic import BaseModel, Field, computed_field\n\nX = 1\n"


def test_a_new_import_statement_is_placed_like_other_lines() -> None:
    base = "from a import b\nfrom c import d\n\nX = 1\n"
    ours = "from a import b\nfrom ours import thing\nfrom c import d\n\nX = 1\n"
    theirs = "from a import b, e\nfrom c import d\n\nX = 2\n"

    merged = merge("m.py", base, ours, theirs)

    assert merged == "from a import b, e\nfrom ours import thing\nfrom c import d\n\nX = 2\n"


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        # A line of the template's that the user changed: git's markers, not a guess.
        ("x = 1\ny = 20\nz = 3\n", "x = 1\ny = 2\nz = 30\n"),
        # Both neighbours of the user's line are gone from the new version.
        ("x = 1\nmine = 0\ny = 2\nz = 3\n", "a = 1\nb = 2\nz = 3\n"),
    ],
)
def test_anything_but_placeable_additions_is_left_to_git(ours: str, theirs: str) -> None:
    assert merge("m.py", "x = 1\ny = 2\nz = 3\n", ours, theirs) is None


def test_a_merge_that_would_not_parse_is_left_to_git() -> None:
    base = "def f() -> int:\n    return 1\n"
    ours = base + "    if x:\n"  # mid-edit: not Python yet

    assert merge("m.py", base, ours, "def f() -> int:\n    return 2\n") is None


def test_the_changelog_names_releases_newest_first_with_distinct_commits() -> None:
    found = releases()

    assert found, "CHANGELOG.md names no release"
    assert [r.key for r in found] == sorted((r.key for r in found), reverse=True)
    assert len({r.commit for r in found}) == len(found)


def test_an_update_prints_the_notes_of_the_releases_it_crossed() -> None:
    text = (
        "## [Unreleased]\n\n## [0.3.0] - 2026-01-03 (ccccccc)\n\n### Upgrading\n\n- Do C.\n\n"
        "## [0.2.0] - 2026-01-02 (bbbbbbb)\n\n### Added\n\n- B.\n\n"
        "## [0.1.0] - 2026-01-01 (aaaaaaa)\n\n### Upgrading\n\n- Do A.\n"
    )

    assert [r.version for r in crossed("0.1.0", "0.3.0.post2.dev0+g1234567", text)] == ["0.2.0", "0.3.0"]
    assert crossed("v0.1.0", "v0.3.0", text)[-1].upgrading == "- Do C."
    with pytest.raises(ValueError, match="not a release"):
        version_key("0.0.0.post20.dev0+g1234567")
