"""Subscriptions at work: the VTN tells subscribers of each change to an event.

A subscription of a program whose ``objectOperations`` name ``EVENT`` and the
operation (``CREATE``, ``UPDATE``, ``DELETE``) gets an OpenADR notification
(``{"objectType", "operation", "object"}``) POSTed to its ``callbackUrl``, with its
``bearerToken`` when it gave one. Delivery runs beside the request, so a slow or dead
callback never delays the operator: one attempt, a 5-second timeout, no redirects
followed, and the outcome logged by the callback's host (never its token). Only
``http`` and ``https`` callbacks are called.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from flask import g

from api.openadr.store import vtn_store

__all__ = ["changed", "deliver", "subscribers"]

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 5


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


OPENER = urllib.request.build_opener(NoRedirects)


def subscribers(
    subscriptions: list[dict[str, Any]], event: dict[str, Any], operation: str
) -> list[tuple[str, str | None]]:
    """``(callbackUrl, bearerToken)`` of each subscription to this event's change."""
    found = []
    for subscription in subscriptions:
        if subscription.get("programID") != event["programID"]:
            continue
        for wanted in subscription.get("objectOperations", []):
            if "EVENT" in wanted.get("objects", []) and operation in wanted.get("operations", []):
                found.append((wanted["callbackUrl"], wanted.get("bearerToken")))
    return found


def deliver(url: str, token: str | None, notification: dict[str, Any]) -> None:
    host = urlsplit(url).hostname or "?"
    if urlsplit(url).scheme not in ("http", "https"):
        log.warning("openadr: not calling back %s: only http and https callbacks", host)
        return
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(notification).encode()
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with OPENER.open(request, timeout=TIMEOUT_SECONDS) as answer:
            log.info(
                "openadr: notified %s of %s (%s)", host, notification["operation"], answer.status
            )
    except (urllib.error.URLError, OSError, ValueError) as exc:
        log.warning("openadr: could not notify %s: %s", host, type(exc).__name__)


def changed(operation: str, event: dict[str, Any]) -> None:
    """Notify, in the background, every subscriber of this change to *event*."""
    subscriptions = vtn_store().all(g.community, "SUBSCRIPTION")
    notification = {"objectType": "EVENT", "operation": operation, "object": event}
    for url, token in subscribers(subscriptions, event, operation):
        threading.Thread(
            target=deliver, args=(url, token, notification), name="openadr-notify", daemon=True
        ).start()
