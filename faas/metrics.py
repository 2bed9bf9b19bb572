"""Prometheus metrics under the OpenFaaS gateway's names, served on their own port."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics, start_http_server

from faas.settings import NAMESPACE

# OpenFaaS exports no `_created` series; leaving them out keeps the output the same shape.
disable_created_metrics()


class Metrics:
    """The gateway's metrics; `function_name` values are `NAME.openfaas-fn` as on OpenFaaS."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.invocations = Counter(
            "gateway_function_invocation",
            "Function metrics",
            ["function_name", "code"],
            registry=self.registry,
        )
        # A gauge that only goes up: a prometheus_client counter would be exported as `..._started_total`,
        # while OpenFaaS exports this name as it is.
        self.started = Gauge(
            "gateway_function_invocation_started",
            "The total number of function HTTP requests started.",
            ["function_name"],
            registry=self.registry,
        )
        self.inflight = Gauge(
            "gateway_function_invocation_inflight",
            "The number of function HTTP requests in flight.",
            ["function_name"],
            registry=self.registry,
        )
        self.seconds = Histogram(
            "gateway_functions_seconds",
            "Function time taken",
            ["function_name", "code"],
            registry=self.registry,
        )
        self.service_count = Gauge(
            "gateway_service_count",
            "Current count of replicas for function",
            ["function_name"],
            registry=self.registry,
        )
        self.service_target_load = Gauge(
            "gateway_service_target_load",
            "Target load for the function",
            ["function_name", "scaling_type"],
            registry=self.registry,
        )
        self._counts: dict[str, float] = {}
        self._children: dict[str, tuple[Any, Any]] = {}
        self._results: dict[tuple[str, int], tuple[Any, Any]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def label(service: str) -> str:
        return f"{service}.{NAMESPACE}"

    def per_function(self, service: str) -> tuple[Any, Any]:
        """The started and in-flight series of one function (label lookups cached: they are per call)."""
        children = self._children.get(service)
        if children is None:
            name = self.label(service)
            children = self._children[service] = (self.started.labels(name), self.inflight.labels(name))
        return children

    def observe(self, service: str, code: int, seconds: float) -> None:
        key = (service, code)
        children = self._results.get(key)
        if children is None:
            name = self.label(service)
            children = self._results[key] = (
                self.invocations.labels(name, str(code)),
                self.seconds.labels(name, str(code)),
            )
        children[0].inc()
        children[1].observe(seconds)
        with self._lock:
            self._counts[service] = self._counts.get(service, 0.0) + 1

    def invocation_count(self, service: str) -> float:
        """Invocations since the gateway started (what `/system/functions` reports)."""
        return self._counts.get(service, 0.0)

    def set_replicas(self, service: str, replicas: int) -> None:
        self.service_count.labels(self.label(service)).set(replicas)

    def forget(self, service: str) -> None:
        name = self.label(service)
        for metric in (self.service_count, self.started, self.inflight):
            with contextlib.suppress(KeyError):
                metric.remove(name)
        self._counts.pop(service, None)
        self._children.pop(service, None)

    def serve(self, host: str, port: int) -> None:
        """Serve `/metrics` on a background thread."""
        start_http_server(port, addr=host, registry=self.registry)
