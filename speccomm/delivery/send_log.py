"""The delivery queue and never-twice send log: a small SQLite file outside the warehouse.

One row per message ever queued, keyed by what makes a message "the same": a provider report
is `provider:<code>:<content fingerprint>`, a run summary `summary:<run id>`. Statuses:

    queued       waiting to be sent (new, or retried after a failure)
    failed       the last attempt failed; retried on the next delivery
    sending      recorded just before handing the message over; a row still `sending` at the
                 start of a delivery belongs to a process that was killed mid-send
    sent         handed over (SMTP accepted it, or the .eml file is in the outbox)
    unconfirmed  killed mid-send over SMTP: it may or may not have gone, so it is never sent
                 again automatically (at most once) and the BI summary lists it
    superseded   a newer report for the same provider replaced it before it could be sent

The file lives beside the warehouse (state/delivery.sqlite), not inside it, because a failed
night throws its working copy of the warehouse away.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

QUEUED, FAILED, SENDING, SENT, UNCONFIRMED, SUPERSEDED = (
    "queued", "failed", "sending", "sent", "unconfirmed", "superseded",
)
PENDING = (QUEUED, FAILED)
DONE = (SENT, UNCONFIRMED)

SCHEMA = """
create table if not exists messages (
    message_key text primary key,
    kind text not null,
    provider_code text,
    content_fingerprint text,
    results_fingerprint text,
    run_id text,
    message_id text not null,
    recipients text not null,
    channel text,
    outbox_name text not null,
    status text not null,
    attempts integer not null default 0,
    last_error text,
    payload blob not null,
    created_at text not null,
    updated_at text not null,
    sent_at text
)
"""


@dataclass(frozen=True)
class QueuedMessage:
    message_key: str
    kind: str
    provider_code: str | None
    message_id: str
    recipients: tuple[str, ...]
    channel: str | None
    outbox_name: str
    status: str
    attempts: int
    payload: bytes


class DeliveryLedger:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), isolation_level=None, timeout=30)
        self._db.execute("pragma journal_mode = wal")
        self._db.execute("pragma synchronous = full")
        self._db.execute(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def status_of(self, message_key: str) -> str | None:
        found = self._db.execute(
            "select status from messages where message_key = ?", [message_key]
        ).fetchone()
        return found[0] if found else None

    def last_sent_results_fingerprint(self, provider_code: str) -> str | None:
        found = self._db.execute(
            """
            select results_fingerprint from messages
            where kind = 'provider_report' and provider_code = ? and status in ('sent', 'unconfirmed')
            order by sent_at desc, updated_at desc limit 1
            """,
            [provider_code],
        ).fetchone()
        return found[0] if found else None

    def enqueue(
        self,
        *,
        message_key: str,
        kind: str,
        provider_code: str | None,
        content_fingerprint: str | None,
        results_fingerprint: str | None,
        run_id: str | None,
        message_id: str,
        recipients: tuple[str, ...],
        outbox_name: str,
        payload: bytes,
    ) -> None:
        now = _now()
        self._db.execute(
            """
            insert into messages (message_key, kind, provider_code, content_fingerprint,
                results_fingerprint, run_id, message_id, recipients, outbox_name, status, payload,
                created_at, updated_at)
            values (?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)
            on conflict (message_key) do nothing
            """,
            [message_key, kind, provider_code, content_fingerprint, results_fingerprint, run_id,
             message_id, json.dumps(list(recipients)), outbox_name, payload, now, now],
        )

    def supersede_older(self, provider_code: str, keep_key: str) -> int:
        cursor = self._db.execute(
            """
            update messages set status = 'superseded', updated_at = ?
            where kind = 'provider_report' and provider_code = ? and message_key <> ?
                and status in ('queued', 'failed')
            """,
            [_now(), provider_code, keep_key],
        )
        return cursor.rowcount

    def pending(self) -> list[QueuedMessage]:
        rows = self._db.execute(
            """
            select message_key, kind, provider_code, message_id, recipients, channel, outbox_name,
                status, attempts, payload
            from messages where status in ('queued', 'failed')
            order by created_at, message_key
            """
        ).fetchall()
        return [_queued(row) for row in rows]

    def unconfirmed(self) -> list[QueuedMessage]:
        rows = self._db.execute(
            """
            select message_key, kind, provider_code, message_id, recipients, channel, outbox_name,
                status, attempts, payload
            from messages where status = 'unconfirmed'
            order by created_at, message_key
            """
        ).fetchall()
        return [_queued(row) for row in rows]

    def interrupted(self) -> list[QueuedMessage]:
        rows = self._db.execute(
            """
            select message_key, kind, provider_code, message_id, recipients, channel, outbox_name,
                status, attempts, payload
            from messages where status = 'sending'
            order by created_at, message_key
            """
        ).fetchall()
        return [_queued(row) for row in rows]

    def mark_sending(self, message_key: str, channel: str) -> None:
        self._set(message_key, SENDING, channel=channel, attempt=True)

    def mark_sent(self, message_key: str) -> None:
        self._set(message_key, SENT, sent=True)

    def mark_failed(self, message_key: str, error: str) -> None:
        self._set(message_key, FAILED, error=error)

    def mark_queued(self, message_key: str) -> None:
        self._set(message_key, QUEUED)

    def mark_unconfirmed(self, message_key: str) -> None:
        self._set(message_key, UNCONFIRMED, error="killed while sending: may or may not have been delivered")

    def _set(
        self, message_key: str, status: str, *, channel: str | None = None, attempt: bool = False,
        error: str | None = None, sent: bool = False,
    ) -> None:
        now = _now()
        self._db.execute(
            """
            update messages set
                status = ?,
                channel = coalesce(?, channel),
                attempts = attempts + ?,
                last_error = ?,
                sent_at = case when ? then ? else sent_at end,
                updated_at = ?
            where message_key = ?
            """,
            [status, channel, int(attempt), error, sent, now, now, message_key],
        )


def _queued(row: tuple) -> QueuedMessage:
    key, kind, provider, message_id, recipients, channel, outbox_name, status, attempts, payload = row
    return QueuedMessage(key, kind, provider, message_id, tuple(json.loads(recipients)), channel,
                         outbox_name, status, int(attempts), bytes(payload))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")
