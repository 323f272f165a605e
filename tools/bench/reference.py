"""The bench's reference: a bare FastAPI app on the raw driver, answering the item list
with the same queries and the same JSON as a rendered project, and nothing else (no
auth, no ORM, no layers). Run by tools/bench in the rendered project's environment:

    DATABASE_URL=... BENCH_OWNER_ID=... uvicorn --app-dir tools/bench reference:app
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

from fastapi import FastAPI

URL = os.environ["DATABASE_URL"]
# The seeded user of a level-3 project; unset at level 2 (items have no owner).
OWNER = UUID(os.environ["BENCH_OWNER_ID"]) if os.environ.get("BENCH_OWNER_ID") else None
COLUMNS = "id, name, description, quantity, created_at, updated_at"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    if URL.startswith("postgresql"):
        import asyncpg

        pool = await asyncpg.create_pool(URL.replace("+asyncpg", ""), min_size=10, max_size=10)
        app.state.fetch_page = _postgres(pool)
        yield
        await pool.close()
    elif URL.startswith("sqlite"):
        import aiosqlite

        async with aiosqlite.connect(URL.split(":///", 1)[1]) as connection:
            connection.row_factory = aiosqlite.Row
            app.state.fetch_page = _sqlite(connection)
            yield
    else:
        from pymongo import AsyncMongoClient

        client: Any = AsyncMongoClient(URL, uuidRepresentation="standard", tz_aware=True)
        app.state.fetch_page = _mongodb(client.get_default_database()["items"])
        yield
        await client.close()


def _postgres(pool: Any) -> Any:
    where, args = ("WHERE owner_id = $1", [OWNER]) if OWNER else ("", [])
    n = len(args)
    count = f"SELECT count(*) FROM items {where}"
    page = f"SELECT {COLUMNS} FROM items {where} ORDER BY created_at DESC, id LIMIT ${n + 1} OFFSET ${n + 2}"

    async def fetch_page(limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        async with pool.acquire() as connection:
            total = await connection.fetchval(count, *args)
            rows = await connection.fetch(page, *args, limit, offset)
        return [dict(row) for row in rows], total

    return fetch_page


def _sqlite(connection: Any) -> Any:
    where, args = ("WHERE owner_id = ?", [OWNER.hex]) if OWNER else ("", [])
    count = f"SELECT count(*) FROM items {where}"
    page = f"SELECT {COLUMNS} FROM items {where} ORDER BY created_at DESC, id LIMIT ? OFFSET ?"

    async def fetch_page(limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        async with connection.execute(count, args) as cursor:
            (total,) = await cursor.fetchone()
        async with connection.execute(page, [*args, limit, offset]) as cursor:
            rows = await cursor.fetchall()
        return [dict(row) for row in rows], total

    return fetch_page


def _mongodb(items: Any) -> Any:
    filters = {"owner_id": OWNER} if OWNER else {}

    async def fetch_page(limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        total = await items.count_documents(filters)
        cursor = items.find(filters).sort([("created_at", -1), ("_id", 1)]).skip(offset).limit(limit)
        documents = [document async for document in cursor]
        for document in documents:
            document["id"] = document.pop("_id")
            document.pop("owner_id", None)
        return documents, total

    return fetch_page


app = FastAPI(lifespan=lifespan)


@app.get("/items")
async def list_items(limit: int = 20, offset: int = 0) -> dict[str, Any]:
    items, total = await app.state.fetch_page(limit, offset)
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
