"""The live event feed: dispatched events fanned out to server-sent-event clients, never blocking."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

from smartcity.core.events import Event
from smartcity.core.i18n import DEFAULT_LOCALE, Phrase, get_translations, phrase_from_json
from smartcity.core.outbox import bus

# The events the live view shows (others stay server-side).
SHOWN_PREFIXES = (
    "ioc.",
    "iot.Alarm",
    "feedback.ReportSubmitted",
    "feedback.UrgentReportFlagged",
    "lighting.",
    "waste.",
    "cameras.",
    "environment.",
)
QUEUE_SIZE = 1000
Shown = tuple[str, dict[str, Any]]  # an event's name and payload, as the feed sends it
HEARTBEAT_S = 15.0


class Hub:
    """Subscribers (one asyncio queue each, on their own loop) that receive every shown event."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[Shown]]] = []
        self._stop = bus.listen(self.on_event)

    def close(self) -> None:
        """Stop listening to the bus (a hub made for a while, as in a test)."""
        self._stop()

    def on_event(self, event: Event) -> None:
        """Bus listener: format once, hand to every subscriber's loop (dropped for a slow client)."""
        if not event.name.startswith(SHOWN_PREFIXES):
            return
        self.publish(event.name, event.to_payload())

    def publish(self, name: str, payload: dict[str, Any]) -> None:
        """Send one event (name, JSON payload) to every subscriber."""
        shown = (name, {**payload, "_sent": time.time()})
        with self._lock:
            subscribers = list(self._subscribers)
        for loop, queue in subscribers:
            try:
                loop.call_soon_threadsafe(_offer, queue, shown)
            except RuntimeError:  # the subscriber's loop is closed
                self._drop(queue)

    def _drop(self, queue: asyncio.Queue[Shown]) -> None:
        with self._lock:
            self._subscribers = [(lp, q) for lp, q in self._subscribers if q is not queue]

    async def stream(self, locale: str = DEFAULT_LOCALE) -> AsyncIterator[str]:
        """Frames for one client: a greeting, then events with their sentences in the client's language
        (`said_in`), with a heartbeat comment when quiet."""
        queue: asyncio.Queue[Shown] = asyncio.Queue(maxsize=QUEUE_SIZE)
        with self._lock:
            self._subscribers.append((asyncio.get_running_loop(), queue))
        try:
            yield "retry: 3000\n\n"
            while True:
                try:
                    name, payload = await asyncio.wait_for(queue.get(), timeout=HEARTBEAT_S)
                except TimeoutError:
                    yield ": heartbeat\n\n"
                    continue
                yield format_frame(name, said_in(payload, locale))
        finally:
            self._drop(queue)

    @property
    def subscribers(self) -> int:
        """How many clients are listening."""
        with self._lock:
            return len(self._subscribers)


def _offer(queue: asyncio.Queue[Shown], shown: Shown) -> None:
    if not queue.full():
        queue.put_nowait(shown)


def said_in(payload: dict[str, Any], locale: str) -> dict[str, Any]:
    """The payload with each sentence it keeps as a phrase (`<field>_phrase`, `Phrase.to_json()`) said in
    `locale` in its `<field>`: a playbook's subject reads in English on an English page."""
    if locale == DEFAULT_LOCALE:
        return payload
    gettext = get_translations(locale).gettext
    said = dict(payload)
    for key, value in payload.items():
        phrase = phrase_from_json(value) if key.endswith("_phrase") and value else None
        if isinstance(phrase, Phrase):
            said[key.removesuffix("_phrase")] = phrase.in_language(gettext, locale)
    return said


def format_frame(name: str, payload: dict[str, Any]) -> str:
    """One server-sent-event frame."""
    return f"event: {name}\ndata: {json.dumps(payload, ensure_ascii=False, default=str)}\n\n"


hub = Hub()
