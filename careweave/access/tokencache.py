"""A short cache of API token lookups, cleared at once on every worker by PostgreSQL.

Every API request looks up its bearer token with its membership, user and organisation
(:func:`careweave.access.services.token_authenticate`). This module keeps the row that
lookup returned, per worker process, for at most ``CAREWEAVE_TOKEN_CACHE_SECONDS``, and
throws every entry away as soon as anything a token depends on changes:

- Triggers on the token, membership, user and organisation tables (migration
  access 0008) send ``NOTIFY careweave_auth`` on any change that matters: a revoked or
  expired token, a membership ended or its role changed, a user deactivated, an
  organisation closed, a deletion or a truncation, by our services, the admin or by hand.
  PostgreSQL delivers the notification when the change commits, not before.
- Each worker process has one listener thread on its own connection (``LISTEN
  careweave_auth``); a notification clears the whole cache (changes are rare, lookups
  are not).
- The cache is used only while the listener is known to be alive: it sends a heartbeat
  every :data:`HEARTBEAT` seconds, and when it has not been heard of for
  :data:`GRACE` seconds (connection lost, database restarted, thread dead) every lookup
  goes to the database again until it has reconnected, listened and cleared the cache.
- A lookup that raced with a clearing (read from the database before the notification,
  stored after it) is not stored: entries carry the generation they were read in.

So a revocation takes effect on every worker within the time PostgreSQL takes to deliver
a notification (milliseconds); if the listener's connection dies silently, within
``GRACE`` seconds; never later than the entry's lifetime. Only what the lookup returns is
cached (column values, never model instances shared between requests); expiry is checked
on every request from the cached ``expires_at``.

SQLite has no NOTIFY: there the cache is off.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)

CHANNEL = "careweave_auth"
APPLICATION_NAME = "careweave-token-cache"
HEARTBEAT = 2.0
GRACE = 5.0
MAX_ENTRIES = 10_000


@dataclass
class Entry:
    row: Sequence[Any]
    expires: float
    last_used_at: Any = None


@dataclass
class _State:
    pid: int
    lock: threading.Lock = field(default_factory=threading.Lock)
    entries: dict[str, Entry] = field(default_factory=dict)
    generation: int = 0
    alive_until: float = 0.0
    thread: threading.Thread | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    hits: int = 0
    misses: int = 0
    clears: int = 0
    last_payload: str = ""


_state: _State | None = None
_state_lock = threading.Lock()


def lifetime() -> int:
    """Seconds an entry lives (0: the cache is off)."""
    return int(settings.CAREWEAVE.get("TOKEN_CACHE_SECONDS", 0))


def enabled() -> bool:
    return lifetime() > 0 and connection.vendor == "postgresql"


def _current() -> _State:
    """This process's state; a forked worker starts afresh (threads do not survive fork)."""
    global _state
    state = _state
    if state is not None and state.pid == os.getpid():
        return state
    with _state_lock:
        if _state is None or _state.pid != os.getpid():
            _state = _State(pid=os.getpid())
        return _state


def _listening(state: _State) -> bool:
    return time.monotonic() < state.alive_until


def _ensure_listener(state: _State) -> None:
    thread = state.thread
    if thread is not None and thread.is_alive():
        return
    with state.lock:
        if state.thread is not None and state.thread.is_alive():
            return
        params = connection.get_connection_params()
        state.stop.clear()
        state.thread = threading.Thread(target=_listen, args=(state, params),
                                        name="careweave-token-cache", daemon=True)
        state.thread.start()


def clear(state: _State | None = None) -> None:
    """Forget every entry, and refuse to store lookups that began before now."""
    state = state or _current()
    with state.lock:
        state.entries.clear()
        state.generation += 1
        state.clears += 1


def _listen(state: _State, params: dict[str, Any]) -> None:
    import psycopg

    conninfo = {k: v for k, v in params.items()
                if k not in ("cursor_factory", "context", "prepare_threshold",
                             "server_side_binding")}
    conninfo.update(autocommit=True, application_name=APPLICATION_NAME, keepalives=1,
                    keepalives_idle=5, keepalives_interval=1, keepalives_count=3)
    backoff = 0.2
    while not state.stop.is_set():
        try:
            with psycopg.connect(**conninfo) as conn:
                conn.execute(f"LISTEN {CHANNEL}")
                clear(state)  # whatever changed while nobody listened
                backoff = 0.2
                while not state.stop.is_set():
                    state.alive_until = time.monotonic() + GRACE
                    for notify in conn.notifies(timeout=HEARTBEAT):
                        clear(state)
                        state.last_payload = notify.payload
                        state.alive_until = time.monotonic() + GRACE
                    if state.stop.is_set():
                        break
                    conn.execute("SELECT 1")  # the heartbeat: fails if the link is gone
        except Exception:  # noqa: BLE001 - any failure: stop using the cache, reconnect
            state.alive_until = 0.0
            clear(state)
            logger.warning("token cache listener lost its connection; reconnecting",
                           exc_info=True)
            state.stop.wait(backoff)
            backoff = min(backoff * 2, 5.0)
    state.alive_until = 0.0
    clear(state)


def begin() -> int | None:
    """Before a lookup: the generation it is read in, or None when the cache is not in use."""
    if not enabled():
        return None
    state = _current()
    _ensure_listener(state)
    return state.generation


def get(key: str) -> Entry | None:
    """The cached lookup for this token hash, if it may be used now."""
    if not enabled():
        return None
    state = _current()
    _ensure_listener(state)
    if not _listening(state):
        return None
    entry = state.entries.get(key)
    if entry is None or entry.expires <= time.monotonic():
        state.misses += 1
        return None
    state.hits += 1
    return entry


def put(key: str, row: Sequence[Any], generation: int | None, last_used_at: Any) -> None:
    """Keep a lookup, unless the cache was cleared since it was read."""
    if generation is None:
        return
    state = _current()
    with state.lock:
        if state.generation != generation or not _listening(state):
            return
        if len(state.entries) >= MAX_ENTRIES:
            state.entries.clear()
        state.entries[key] = Entry(row=tuple(row), expires=time.monotonic() + lifetime(),
                                   last_used_at=last_used_at)


def wait_until_listening(timeout: float = 5.0) -> bool:
    """Start the listener if needed and wait until it listens (tests, bench warm-up)."""
    if not enabled():
        return False
    state = _current()
    _ensure_listener(state)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _listening(state):
            return True
        time.sleep(0.01)
    return False


def stop(timeout: float = 5.0) -> None:
    """Stop this process's listener (tests)."""
    state = _current()
    state.stop.set()
    if state.thread is not None:
        state.thread.join(timeout)
    state.alive_until = 0.0
    clear(state)


def stats() -> dict[str, int | bool]:
    state = _current()
    return {"entries": len(state.entries), "hits": state.hits, "misses": state.misses,
            "clears": state.clears, "listening": _listening(state)}


def last_payload() -> str:
    """The payload of the last notification heard (tests fence on it: notifications
    arrive in commit order, so once a fence is heard every earlier one has been)."""
    return _current().last_payload
