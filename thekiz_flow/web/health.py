"""``GET /healthz`` and ``GET /metrics``: for the monitoring, not for people (no page links
them, no sign-in needed).

- ``/healthz``: 200 "in Ordnung" when the database answers and the last successful tick is
  younger than ``[health] tick_age``; else 503 with the reason, one German line.
- ``/metrics``: the Prometheus text format (prometheus-client), for a client on this
  machine (loopback) or one that sends ``Authorization: Bearer`` with the token of
  ``THEKIZ_FLOW_METRICS_TOKEN``; anyone else gets 403. Behind a reverse proxy uvicorn
  takes the client from ``X-Forwarded-For`` (of a trusted proxy), so a request passed on
  by the proxy does not count as loopback.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from thekiz_flow.core.enums import OutboxStatus
from thekiz_flow.service.operations import Metrics, OperationsService
from thekiz_flow.web.state import WebState, web_state

NO_CACHE = {"Cache-Control": "no-store"}


def _operations(state: WebState) -> OperationsService:
    service = state.system()
    return OperationsService(service.runtime, service.outbox, state.settings.operations)


def healthz(request: Request) -> Response:
    health = _operations(web_state(request)).health()
    return PlainTextResponse(
        health.reason + "\n", status_code=200 if health.ok else 503, headers=NO_CACHE
    )


def _loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _token_ok(request: Request, token: str | None) -> bool:
    if token is None:
        return False
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.encode(), token.encode())


class _Figures(Collector):
    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[GaugeMetricFamily]:
        m = self.metrics
        yield _gauge(
            "thekiz_last_tick_timestamp_seconds",
            "End of the last successful tick (Unix time)",
            None if m.last_tick is None else m.last_tick.timestamp(),
        )
        yield _gauge(
            "thekiz_last_tick_duration_seconds",
            "How long the last successful tick took",
            m.last_tick_seconds,
        )
        yield _gauge(
            "thekiz_last_tick_failure_timestamp_seconds",
            "When a tick last failed (Unix time)",
            None if m.last_failure is None else m.last_failure.timestamp(),
        )
        outbox = GaugeMetricFamily(
            "thekiz_outbox_messages", "Messages in the outbox by status", labels=["status"]
        )
        for status in OutboxStatus:
            outbox.add_metric([status.value], m.outbox.get(status, 0))
        yield outbox
        yield _gauge(
            "thekiz_outbox_oldest_pending_age_seconds",
            "Age of the oldest message still to be sent (0: none)",
            m.oldest_pending_seconds or 0.0,
        )
        yield _gauge(
            "thekiz_outbox_failed_recent_messages",
            "Messages failed for good among those due in the last 7 days",
            m.failed_recent,
        )
        yield _gauge(
            "thekiz_sign_in_failures",
            "Failed sign-ins kept (30 days)",
            m.sign_in_failures,
        )
        yield _gauge(
            "thekiz_sign_in_failures_recent",
            "Failed sign-ins of the last 15 minutes",
            m.sign_in_failures_recent,
        )


def _gauge(name: str, documentation: str, value: float | None) -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(name, documentation)
    if value is not None:
        gauge.add_metric([], value)
    return gauge


def metrics(request: Request) -> Response:
    state = web_state(request)
    if not (_token_ok(request, state.settings.operations.metrics_token) or _loopback(request)):
        return PlainTextResponse(
            "Kein Zugriff: /metrics nur von diesem Rechner oder mit Zugangsschlüssel\n",
            status_code=403,
            headers=NO_CACHE,
        )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Figures(_operations(state).metrics()))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST, headers=NO_CACHE)


def routes() -> list[Route]:
    return [
        Route("/healthz", healthz, methods=["GET", "HEAD"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
