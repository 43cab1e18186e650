"""Where the facts go: two tables through SQLAlchemy, written in batches off the request path.

SQLite in a file by default (nothing to install); PostgreSQL by URL (`INSIGHTS_DB_URL`) when
several Rasa servers record into one place. The Rasa server only appends a fact to a bounded
in-memory queue (a few microseconds); a thread of its own writes the queue every second in one
transaction, deletes rows older than `insights.retention_days` once an hour, and never lets a
database error reach a turn: a batch it cannot write is dropped and counted (facts are lost,
never a reply). The thread holds no message text: the facts are already stripped of it.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Deque, Dict, List, Optional, Union

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from bot.insights.facts import RefusalFact, TurnFact

logger = logging.getLogger(__name__)

metadata = sa.MetaData()

turns = sa.Table(
    "insights_turns",
    metadata,
    sa.Column("hour", sa.DateTime, nullable=False, index=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("answer_kind", sa.String(20)),
    sa.Column("topic", sa.String(64)),
    sa.Column("crisis_resources", sa.Boolean, nullable=False),
    sa.Column("medications", sa.String(200)),
    sa.Column("treatments", sa.String(200)),
    sa.Column("theme", sa.String(32)),
    sa.Column("region", sa.String(8), nullable=False),
    sa.Column("clinic", sa.String(80)),
    sa.Column("first_turn", sa.Boolean, nullable=False),
    sa.Column("channel", sa.String(8), nullable=False),
    sa.Column("unavailable", sa.Boolean, nullable=False),
    # What the turn did with a safety plan (offered, started, finished); never what it holds.
    sa.Column("safety_plan", sa.String(10)),
)
# Columns added after the table was first made, with their SQL type: `create_tables` adds them
# to a database an earlier version created (nullable, so old rows read as empty).
ADDED_COLUMNS = {"safety_plan": "VARCHAR(10)"}

refusals = sa.Table(
    "insights_refusals",
    metadata,
    sa.Column("hour", sa.DateTime, nullable=False, index=True),
    sa.Column("reason", sa.String(20), nullable=False),
)

Fact = Union[TurnFact, RefusalFact]
# Seconds a PostgreSQL connection attempt may take before the batch is given up.
CONNECT_TIMEOUT_S = 3


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine (and pool) per database per process, shared by the writer and the page."""
    parsed = make_url(url)
    connect_args: Dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        connect_args["timeout"] = 5
    else:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
    return sa.create_engine(url, future=True, pool_pre_ping=True, connect_args=connect_args)


def create_tables(engine: Engine) -> None:
    try:
        metadata.create_all(engine)
    except sa.exc.IntegrityError:
        # Two servers creating the tables at once on PostgreSQL: the other one won.
        metadata.create_all(engine)
    add_missing_columns(engine)


def add_missing_columns(engine: Engine) -> None:
    """Adds the columns a database made by an earlier version lacks (`ADDED_COLUMNS`)."""
    present = {column["name"] for column in sa.inspect(engine).get_columns(turns.name)}
    for name, sql_type in ADDED_COLUMNS.items():
        if name in present:
            continue
        try:
            with engine.begin() as connection:
                connection.execute(
                    sa.text(f"ALTER TABLE {turns.name} ADD COLUMN {name} {sql_type}")
                )
        except sa.exc.DBAPIError:
            # Another server added it first.
            if name not in {c["name"] for c in sa.inspect(engine).get_columns(turns.name)}:
                raise


def delete_older_than(engine: Engine, days: int, now: Optional[datetime] = None) -> int:
    """Deletes rows older than `days`; returns how many."""
    cutoff = (now or datetime.utcnow()) - timedelta(days=days)
    deleted = 0
    with engine.begin() as connection:
        for table in (turns, refusals):
            deleted += connection.execute(table.delete().where(table.c.hour < cutoff)).rowcount
    return deleted


@dataclass
class WriterStats:
    written: int = 0
    dropped_queue_full: int = 0
    dropped_db_error: int = 0
    batches: int = 0
    # CPU time the writer thread spent writing, for `make bench`.
    cpu_s: float = 0.0


class FactWriter:
    """A bounded queue of facts and the thread that writes it."""

    def __init__(
        self,
        url: str,
        retention_days: int,
        flush_interval_s: float = 1.0,
        max_pending: int = 50_000,
        prune_interval_s: float = 3600.0,
    ) -> None:
        self.url = url
        self.retention_days = retention_days
        self.flush_interval_s = flush_interval_s
        self.max_pending = max_pending
        self.prune_interval_s = prune_interval_s
        self.stats = WriterStats()
        self._pending: Deque[Fact] = deque()
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._closing = False
        self._thread: Optional[threading.Thread] = None
        self._start_lock = threading.Lock()
        self._tables_ready = False
        self._next_prune = 0.0

    # --- the request path: append only ---------------------------------------------------------

    def add(self, fact: Fact) -> None:
        if len(self._pending) >= self.max_pending:
            self.stats.dropped_queue_full += 1
            return
        self._pending.append(fact)
        if self._thread is None:
            self._start()

    # --- the writer thread ---------------------------------------------------------------------

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None and not self._closing:
                self._thread = threading.Thread(
                    target=self._run, name="insights-writer", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while not self._closing:
            self._wake.wait(self.flush_interval_s)
            self._wake.clear()
            self._write_pending()
        self._write_pending()

    def _write_pending(self) -> None:
        self._idle.clear()
        started = time.thread_time()
        try:
            batch: List[Fact] = []
            while self._pending:
                batch.append(self._pending.popleft())
            if batch:
                self._write(batch)
            if time.monotonic() >= self._next_prune:
                self._prune()
        finally:
            self.stats.cpu_s += time.thread_time() - started
            if not self._pending:
                self._idle.set()

    def _write(self, batch: List[Fact]) -> None:
        # Rows of one batch go in a random order, so their order in the table does not follow
        # the order of the turns (one conversation's turns sit close together in time).
        random.shuffle(batch)
        turn_rows = [fact.as_row() for fact in batch if isinstance(fact, TurnFact)]
        refusal_rows = [fact.as_row() for fact in batch if isinstance(fact, RefusalFact)]
        try:
            engine = engine_for(self.url)
            if not self._tables_ready:
                create_tables(engine)
                self._tables_ready = True
            with engine.begin() as connection:
                if turn_rows:
                    connection.execute(turns.insert(), turn_rows)
                if refusal_rows:
                    connection.execute(refusals.insert(), refusal_rows)
        except Exception as error:  # noqa: BLE001 - facts may be lost, the server goes on
            self.stats.dropped_db_error += len(batch)
            self._tables_ready = False
            logger.warning(
                "Insights: could not write %d facts (%s); they are dropped.",
                len(batch),
                type(error).__name__,
            )
            return
        self.stats.written += len(batch)
        self.stats.batches += 1

    def _prune(self) -> None:
        self._next_prune = time.monotonic() + self.prune_interval_s
        try:
            engine = engine_for(self.url)
            if not self._tables_ready:
                create_tables(engine)
                self._tables_ready = True
            deleted = delete_older_than(engine, self.retention_days)
        except Exception as error:  # noqa: BLE001 - retried at the next interval
            logger.warning("Insights: could not delete old rows (%s).", type(error).__name__)
            return
        if deleted:
            logger.info(
                "Insights: deleted %d rows older than %d days.", deleted, self.retention_days
            )

    # --- flushing and closing ------------------------------------------------------------------

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Writes what is queued now; True when the queue was written (or dropped) in time."""
        if self._thread is None:
            return not self._pending
        self._idle.clear()
        self._wake.set()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._idle.wait(0.05) and not self._pending:
                return True
            self._wake.set()
        return False

    def close(self, timeout_s: float = 10.0) -> None:
        self._closing = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
