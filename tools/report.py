"""Outcomes of the matrix sessions, and the closing table.

Each session writes one JSON file to .matrix/results/; `python -m tools.report`
prints combination, status and seconds (and image size and build time for the
Docker sessions), then `N passed, N failed`, and exits 1 if any failed.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent.parent / ".matrix" / "results"


def _file(session: str) -> Path:
    return RESULTS / (re.sub(r"[^A-Za-z0-9=_-]+", "_", session).strip("_") + ".json")


def record(session: str, status: str, seconds: float, **details: Any) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = _file(session)
    previous = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(
        json.dumps(
            {**previous, "session": session, "status": status, "seconds": round(seconds, 1), **details}
        )
    )


def detail(session: str, **details: Any) -> None:
    """Add details (image size, build time) to a session's record before it ends."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = _file(session)
    previous = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**previous, **details}))


def clear() -> None:
    for path in RESULTS.glob("*.json"):
        path.unlink()


def main() -> int:
    rows = [json.loads(path.read_text()) for path in sorted(RESULTS.glob("*.json"))]
    rows = [row for row in rows if "status" in row]
    if not rows:
        print("No session recorded a result.")
        print("0 passed, 1 failed")
        return 1
    extra = sorted({key for row in rows for key in row} - {"session", "status", "seconds"})
    header = ["session", "status", "seconds", *extra]
    table = [[str(row.get(column, "")) for column in header] for row in rows]
    widths = [max(len(column), *(len(line[i]) for line in table)) for i, column in enumerate(header)]
    print()
    print("  ".join(column.ljust(width) for column, width in zip(header, widths, strict=False)))
    print("  ".join("-" * width for width in widths))
    for line in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=False)))
    passed = sum(row["status"] == "passed" for row in rows)
    failed = len(rows) - passed
    print(f"total seconds: {sum(row['seconds'] for row in rows):.0f}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--clear"]:
        clear()
    else:
        sys.exit(main())
