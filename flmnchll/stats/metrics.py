"""Business metrics in the Prometheus text format, computed at scrape time from the same stores as `stats`.

A custom collector rather than process-local counters: function processes come and go and scale out, so the
numbers must come from the shared stores, never from one replica's memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.registry import Collector

from flmnchll.stats import activity, health, uptime, users, views
from flmnchll.stores import db, rq_connection

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
RECENT_JOBS = 200


class BusinessCollector(Collector):
    """Views, users, active users, queues, job durations, failures and component status."""

    def collect(self) -> Iterator[Metric]:
        now = datetime.now(UTC)
        yield CounterMetricFamily("flmnchll_views", "Views recorded (one per user, item and day).",
                                  value=views.total_views())
        per_item = CounterMetricFamily("flmnchll_content_views", "Views per library item.", labels=["content_id"])
        for content_id, count in views.views_by_content().items():
            per_item.add_metric([content_id], count)
        yield per_item
        yield GaugeMetricFamily("flmnchll_users", "Registered accounts.", value=users.total_users())
        yield GaugeMetricFamily("flmnchll_active_users_daily", "Users active today (UTC).",
                                value=activity.daily_active(now))
        yield GaugeMetricFamily("flmnchll_active_users_monthly", "Users active in the last 30 days.",
                                value=activity.monthly_active(now))
        yield GaugeMetricFamily("flmnchll_content_failed", "Library items whose processing failed.",
                                value=db().content.count_documents({"status": "failed"}))
        yield from _queue_metrics()
        yield from _component_metrics()


def _queue_metrics() -> Iterator[Metric]:
    from rq import Queue
    from rq.job import Job

    length = GaugeMetricFamily("flmnchll_queue_length", "Jobs waiting in a queue.", labels=["queue"])
    failed = GaugeMetricFamily("flmnchll_queue_failed_jobs", "Failed jobs RQ still keeps, per queue.",
                               labels=["queue"])
    workers = GaugeMetricFamily("flmnchll_queue_workers", "Live workers listening on a queue.", labels=["queue"])
    durations = SummaryMetricFamily("flmnchll_job_duration_seconds",
                                    "Run time of the finished jobs RQ still keeps (up to 200 per queue).",
                                    labels=["queue"])
    connection = rq_connection()
    try:
        listening = health.workers_listening(connection)
        for name in health.QUEUES:
            queue = Queue(name, connection=connection)
            length.add_metric([name], queue.count)
            failed.add_metric([name], queue.failed_job_registry.count)
            workers.add_metric([name], listening.get(name, 0))
            job_ids = queue.finished_job_registry.get_job_ids(0, RECENT_JOBS - 1, desc=True)
            seconds = [(job.ended_at - job.started_at).total_seconds()
                       for job in Job.fetch_many(job_ids, connection=connection)
                       if job is not None and job.started_at and job.ended_at]
            durations.add_metric([name], count_value=len(seconds), sum_value=sum(seconds))
    finally:
        connection.close()
    yield from (length, failed, workers, durations)


def _component_metrics() -> Iterator[Metric]:
    up = GaugeMetricFamily("flmnchll_component_up", "1 when the latest health check saw the component up.",
                           labels=["component"])
    day = GaugeMetricFamily("flmnchll_component_uptime_24h_percent", "Uptime over the last 24 hours.",
                            labels=["component"])
    month = GaugeMetricFamily("flmnchll_component_uptime_30d_percent", "Uptime over the last 30 days.",
                              labels=["component"])
    for service in uptime.services():
        up.add_metric([service["name"]], 1.0 if service["status"] == "up" else 0.0)
        if service["uptime_24h"] is not None:
            day.add_metric([service["name"]], service["uptime_24h"])
        if service["uptime_30d"] is not None:
            month.add_metric([service["name"]], service["uptime_30d"])
    yield from (up, day, month)


def render() -> bytes:
    """The metrics page."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(BusinessCollector())
    return generate_latest(registry)
