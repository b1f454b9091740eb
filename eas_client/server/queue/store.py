"""Both queues of an asynchronous-inference service in one SQLite database: in memory by default,
or in a file (WAL) that survives the runtime being killed.

Every item is a row. Delivery is at-least-once: an item handed to a consumer (a watcher, a get
without auto-delete, a processor worker) is *leased* to it; a commit deletes it, while a lease that
ends (the consumer went away, the lease timed out, a negative acknowledgement, a restart) makes it
deliverable again. The processor's result is written to the sink and its input deleted in one
transaction, so a crash can repeat a process() call but never yields two results for one input.

Example::

    store = QueueStore(None)  # in memory; QueueStore("queues.db") for a file
    index, request_id = store.put("svc", b"x", {}, 0)
    [item] = store.take("svc", owner="w1", start=0, limit=1, lease_s=30.0, now=0.0)
    store.commit("svc", [item.index])
"""

from __future__ import annotations

import json
import math
import sqlite3
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

REQUEST_ID_TAG = "requestId"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS queues (
    name TEXT PRIMARY KEY,
    last_index INTEGER NOT NULL DEFAULT 0,
    ended INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS items (
    queue TEXT NOT NULL,
    idx INTEGER NOT NULL,
    priority INTEGER NOT NULL DEFAULT 0,
    request_id TEXT NOT NULL,
    tags TEXT NOT NULL,
    data BLOB NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    owner TEXT,
    lease_until REAL,
    deliveries INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (queue, idx)
);
CREATE INDEX IF NOT EXISTS items_order ON items (queue, priority DESC, idx);
CREATE INDEX IF NOT EXISTS items_request ON items (queue, request_id);
CREATE INDEX IF NOT EXISTS items_lease ON items (lease_until) WHERE lease_until IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_owner ON items (owner) WHERE owner IS NOT NULL;
"""


@dataclass(frozen=True)
class Item:
    index: int
    priority: int
    request_id: str
    tags: dict[str, str]
    data: bytes
    message: str
    owner: str | None
    deliveries: int

    @property
    def all_tags(self) -> dict[str, str]:
        """The caller's tags plus ``requestId``, as frames carry them."""
        return {**self.tags, REQUEST_ID_TAG: self.request_id}


_COLUMNS = "idx, priority, request_id, tags, data, message, owner, deliveries"


def _item(row: tuple[object, ...]) -> Item:
    idx, priority, rid, tags, data, message, owner, deliveries = row
    return Item(
        int(idx),  # type: ignore[call-overload]
        int(priority),  # type: ignore[call-overload]
        str(rid),
        json.loads(str(tags)),
        bytes(data),  # type: ignore[call-overload]
        str(message),
        None if owner is None else str(owner),
        int(deliveries),  # type: ignore[call-overload]
    )


def _matches(item: Item, tags: Mapping[str, str]) -> bool:
    have = item.all_tags
    return all(have.get(k) == v for k, v in tags.items())


class QueueStore:
    """The queues' rows. Not thread-safe: the runtime calls it from its event loop only."""

    def __init__(self, path: str | None, queues: Iterable[str] = ()) -> None:
        self.path = path
        self.backend = "memory" if path is None else "sqlite"
        self._db = sqlite3.connect(
            ":memory:" if path is None else path, isolation_level=None, check_same_thread=False
        )
        if path is not None:
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL: a commit is in the OS before put() answers, so a killed process loses nothing
            # it acknowledged (only a power cut could, which FULL would add an fsync per put for).
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        with self._tx():
            for name in queues:
                self._db.execute("INSERT OR IGNORE INTO queues (name) VALUES (?)", (name,))
            # Every consumer of a previous run is gone: what it held is deliverable again.
            self._db.execute("UPDATE items SET owner = NULL, lease_until = NULL WHERE owner IS NOT NULL")

    def _tx(self) -> _Transaction:
        return _Transaction(self._db)

    def close(self) -> None:
        self._db.close()

    def has_queue(self, queue: str) -> bool:
        return self._db.execute("SELECT 1 FROM queues WHERE name = ?", (queue,)).fetchone() is not None

    def ended(self, queue: str) -> bool:
        row = self._db.execute("SELECT ended FROM queues WHERE name = ?", (queue,)).fetchone()
        return bool(row and row[0])

    def _next_index(self, queue: str) -> int:
        self._db.execute("UPDATE queues SET last_index = last_index + 1 WHERE name = ?", (queue,))
        return int(self._db.execute("SELECT last_index FROM queues WHERE name = ?", (queue,)).fetchone()[0])

    def _insert(
        self, queue: str, data: bytes, tags: Mapping[str, str], priority: int, message: str = ""
    ) -> tuple[int, str]:
        user_tags = dict(tags)
        request_id = user_tags.pop(REQUEST_ID_TAG, None) or str(uuid.uuid4())
        index = self._next_index(queue)
        self._db.execute(
            "INSERT INTO items (queue, idx, priority, request_id, tags, data, message) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (queue, index, priority, request_id, json.dumps(user_tags), data, message),
        )
        return index, request_id

    def put(self, queue: str, data: bytes, tags: Mapping[str, str], priority: int) -> tuple[int, str]:
        """Append an item; returns its index (from 1, never reused) and request id (the
        ``requestId`` tag when given, else a new UUID)."""
        with self._tx():
            return self._insert(queue, data, tags, priority)

    def put_result(
        self, sink: str, item: Item, data: bytes, message: str, source: str, lease_owner: str
    ) -> int | None:
        """Write the result of ``item`` to ``sink`` and delete the input, atomically; None (and
        nothing written) when the input is gone or no longer leased to ``lease_owner``."""
        with self._tx():
            held = self._db.execute(
                "SELECT 1 FROM items WHERE queue = ? AND idx = ? AND owner = ?",
                (source, item.index, lease_owner),
            ).fetchone()
            if held is None:
                return None
            self._db.execute("DELETE FROM items WHERE queue = ? AND idx = ?", (source, item.index))
            tags = {**item.tags, REQUEST_ID_TAG: item.request_id}
            index, _ = self._insert(sink, data, tags, item.priority, message)
            return index

    def take(
        self,
        queue: str,
        *,
        owner: str,
        start: int,
        limit: int,
        lease_s: float | None,
        now: float,
        tags: Mapping[str, str] | None = None,
        include_own: bool = False,
    ) -> list[Item]:
        """Up to ``limit`` deliverable items with index >= ``start`` matching ``tags``, highest
        priority first, then oldest. ``lease_s=None`` deletes them (auto-delete, auto-commit);
        otherwise they are leased to ``owner`` (``math.inf``: until released). ``include_own``
        also returns items already leased to ``owner`` (a get repeated by the same consumer)."""
        wanted = dict(tags or {})
        sql = f"SELECT {_COLUMNS} FROM items WHERE queue = ? AND idx >= ?"
        args: list[object] = [queue, start]
        rid = wanted.pop(REQUEST_ID_TAG, None)
        if rid is not None:
            sql += " AND request_id = ?"
            args.append(rid)
        if include_own:
            sql += " AND (owner IS NULL OR owner = ? OR lease_until < ?)"
            args += [owner, now]
        else:
            sql += " AND (owner IS NULL OR lease_until < ?)"
            args.append(now)
        sql += " ORDER BY priority DESC, idx"
        found: list[Item] = []
        cursor = self._db.execute(sql, args)
        for row in cursor:
            item = _item(row)
            if _matches(item, wanted):
                found.append(item)
                if len(found) >= limit:
                    break
        cursor.close()  # before writing: an unfinished SELECT would hold its read snapshot
        if not found:
            return found
        with self._tx():
            for item in found:
                if lease_s is None:
                    self._db.execute("DELETE FROM items WHERE queue = ? AND idx = ?", (queue, item.index))
                else:
                    until = None if math.isinf(lease_s) else now + lease_s
                    self._db.execute(
                        "UPDATE items SET owner = ?, lease_until = ?, deliveries = deliveries + 1 "
                        "WHERE queue = ? AND idx = ?",
                        (owner, until, queue, item.index),
                    )
        return found

    def _by_indexes(self, sql: str, queue: str, indexes: Iterable[int], *extra: object) -> int:
        done = 0
        with self._tx():
            for index in indexes:
                done += self._db.execute(sql, (*extra, queue, index)).rowcount
        return done

    def commit(self, queue: str, indexes: Iterable[int]) -> int:
        """Delete delivered items (any consumer may commit); returns how many existed."""
        return self._by_indexes("DELETE FROM items WHERE queue = ? AND idx = ?", queue, indexes)

    def delete_items(self, queue: str, indexes: Iterable[int]) -> int:
        """Delete items whether or not they were delivered; returns how many existed."""
        return self._by_indexes("DELETE FROM items WHERE queue = ? AND idx = ?", queue, indexes)

    def negative(self, queue: str, indexes: Iterable[int], code: str, reason: str) -> int:
        """Hand items back for redelivery, with ``<code>: <reason>`` as their message."""
        message = f"{code}: {reason}" if reason else code
        return self._by_indexes(
            "UPDATE items SET owner = NULL, lease_until = NULL, message = ? WHERE queue = ? AND idx = ?",
            queue,
            indexes,
            message,
        )

    def truncate(self, queue: str, index: int) -> int:
        """Delete every item below ``index``."""
        with self._tx():
            return self._db.execute("DELETE FROM items WHERE queue = ? AND idx < ?", (queue, index)).rowcount

    def release(self, owner: str) -> int:
        """End every lease of ``owner`` (a watcher went away)."""
        with self._tx():
            return self._db.execute(
                "UPDATE items SET owner = NULL, lease_until = NULL WHERE owner = ?", (owner,)
            ).rowcount

    def expire(self, now: float) -> int:
        """End the leases that ran out; returns how many."""
        with self._tx():
            return self._db.execute(
                "UPDATE items SET owner = NULL, lease_until = NULL WHERE lease_until < ?", (now,)
            ).rowcount

    def next_expiry(self) -> float | None:
        row = self._db.execute("SELECT MIN(lease_until) FROM items WHERE lease_until IS NOT NULL").fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def pending(self, queue: str, owner: str) -> int:
        """Items leased to ``owner`` and not yet committed (a watcher's window in use)."""
        row = self._db.execute(
            "SELECT COUNT(*) FROM items WHERE queue = ? AND owner = ?", (queue, owner)
        ).fetchone()
        return int(row[0])

    def end(self, queue: str, force: bool) -> int:
        """Mark the queue ended (no more puts); ``force`` also drops what it holds."""
        with self._tx():
            self._db.execute("UPDATE queues SET ended = 1 WHERE name = ?", (queue,))
            if force:
                return self._db.execute("DELETE FROM items WHERE queue = ?", (queue,)).rowcount
        return 0

    def count(self, queue: str, priority: int | None = None, tags: Mapping[str, str] | None = None) -> int:
        sql, args = "SELECT " + _COLUMNS + " FROM items WHERE queue = ?", [queue]
        if priority is not None:
            sql += " AND priority = ?"
            args.append(priority)  # type: ignore[arg-type]
        if not tags:
            return int(self._db.execute(sql.replace(_COLUMNS, "COUNT(*)"), args).fetchone()[0])
        return sum(1 for row in self._db.execute(sql, args) if _matches(_item(row), tags))

    def get(self, queue: str, index: int) -> Item | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM items WHERE queue = ? AND idx = ?", (queue, index)
        ).fetchone()
        return None if row is None else _item(row)

    def position(self, queue: str, item: Item) -> int:
        """How many deliverable items are ahead of ``item`` in delivery order."""
        row = self._db.execute(
            "SELECT COUNT(*) FROM items WHERE queue = ? AND owner IS NULL AND "
            "(priority > ? OR (priority = ? AND idx < ?))",
            (queue, item.priority, item.priority, item.index),
        ).fetchone()
        return int(row[0])

    def stream(self, queue: str) -> dict[str, int]:
        """length, first and last index held, last index issued, items leased."""
        length, first, last, leased = self._db.execute(
            "SELECT COUNT(*), MIN(idx), MAX(idx), COUNT(owner) FROM items WHERE queue = ?", (queue,)
        ).fetchone()
        issued = self._db.execute("SELECT last_index FROM queues WHERE name = ?", (queue,)).fetchone()
        return {
            "length": int(length),
            "first": int(first or 0),
            "last": int(last or 0),
            "issued": int(issued[0]) if issued else 0,
            "leased": int(leased),
        }


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK when the block raised."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        self._db.execute("COMMIT" if exc is None else "ROLLBACK")
