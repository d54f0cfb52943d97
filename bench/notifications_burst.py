"""Benchmark: a burst of 1,000 status changes, stored by the sweep's store step and delivered
to a webhook receiver on loopback.

In the same run it measures (a) the ceiling: storing N check results that change nothing (no
event is written: the sweep's cost without notifications), (b) storing N results that each
change the report (N ``domain.report_changed`` events written in the same transactions),
(c) the same while a delivery run posts to a *slow* receiver (``--slow`` seconds an answer)
in another thread, i.e. what a slow receiver does to the sweep, and (d) the delivery itself:
fan-out and POSTs of the N events to a fast receiver (``NOTIFY_WEBHOOK_CONCURRENCY`` at a
time), with every event received exactly once. Stores go in batches of
``domains.checks.WRITE_BATCH``, as ``check_domains`` stores them.

    python3 deploy/stack.py up && set -a && . var/stack/stack.env && set +a
    SECRET_KEY=bench .venv/bin/python manage.py migrate
    SECRET_KEY=bench .venv/bin/python bench/notifications_burst.py --changes 1000
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dane_admin.settings")
os.environ.setdefault("NOTIFY_WEBHOOK_ALLOW_HTTP", "1")  # the receiver is http on loopback
os.environ.setdefault("NOTIFY_WEBHOOK_ALLOW_PRIVATE_ADDRESSES", "1")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from domains import checks, services  # noqa: E402
from domains.audit import Actor  # noqa: E402
from domains.choices import DnssecState  # noqa: E402
from domains.models import AcceptedDomain, CheckRun, Tenant  # noqa: E402
from domains.notifications import delivery  # noqa: E402
from domains.notifications import services as notification_services  # noqa: E402
from domains.notifications.models import Event, Webhook, WebhookDelivery  # noqa: E402
from tests.notifications.support import Receiver, outcome, start_receiver  # noqa: E402


def make_domains(tenant: Tenant, count: int) -> list[AcceptedDomain]:
    """``count`` verified, DNSSEC-enabled domains of ``tenant``."""
    now = timezone.now()
    tag = uuid.uuid4().hex[:6]
    AcceptedDomain.objects.bulk_create(
        AcceptedDomain(
            tenant=tenant,
            name=f"n{i:05d}-{tag}.example",
            display_name=f"n{i:05d}-{tag}.example",
            verified_at=now,
            dnssec_state=DnssecState.ENABLED,
        )
        for i in range(count)
    )
    return list(AcceptedDomain.objects.filter(tenant=tenant, is_initial=False).order_by("pk"))


def store(domains: list[AcceptedDomain], mx: tuple[str, ...]) -> float:
    """Store one run per domain (MX findings ``mx``) in sweep-sized batches; seconds taken."""
    fresh = list(AcceptedDomain.objects.filter(pk__in=[d.pk for d in domains]).order_by("pk"))
    outcomes = [outcome(domain, mx=mx) for domain in fresh]
    started = time.perf_counter()
    for first in range(0, len(outcomes), checks.WRITE_BATCH):
        checks.store_outcomes(
            outcomes[first : first + checks.WRITE_BATCH], CheckRun.Trigger.SCHEDULE
        )
    return time.perf_counter() - started


def main() -> None:
    """Run the four measurements and print them with their ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--slow", type=float, default=2.0, help="seconds a slow answer takes")
    args = parser.parse_args()
    count = args.changes

    tenant = services.create_tenant(f"bench-{uuid.uuid4().hex[:8]}", actor=Actor.cli())
    domains = make_domains(tenant, count)
    store(domains, ("EX004",))  # every domain has a previous run (and a first event)
    first = Event.objects.filter(tenant=tenant).count()

    ceiling = store(domains, ("EX004",))  # (a) nothing changes: no event
    assert Event.objects.filter(tenant=tenant).count() == first
    burst_after = (
        Event.objects.filter(tenant=tenant).order_by("-id").values_list("pk", flat=True)[0]
    )
    changed = store(domains, ("EX005",))  # (b) every report changes
    assert Event.objects.filter(tenant=tenant).count() == first + count
    burst = Event.objects.filter(tenant=tenant, pk__gt=burst_after)[:count].values_list(
        "pk", flat=True
    )

    slow = Receiver(delay=args.slow)
    slow_server = start_receiver(slow)
    hook, _ = notification_services.create_webhook(tenant, url=slow.url, actor=Actor.cli())

    def deliver_slowly() -> None:
        """A worker process of its own, as on the real stack (no GIL shared with the store)."""
        started = time.perf_counter()
        posted = delivery.deliver_batch(timezone.now(), limit=200)  # ~10 rounds of --slow
        print(f"    the slow batch: {posted} POSTs in {time.perf_counter() - started:.1f} s")

    delivery.fan_out(timezone.now())
    connection.close()  # the child opens its own
    worker = multiprocessing.get_context("fork").Process(target=deliver_slowly)
    worker.start()
    time.sleep(0.5)  # the POSTs are in flight
    in_flight_while = store(domains, ("EX004",))  # (c) the store beside a slow delivery
    slow_still_busy = worker.is_alive()
    worker.join()
    slow_server.shutdown()
    notification_services.delete_webhook(hook, actor=Actor.cli())

    fast = Receiver()
    fast_server = start_receiver(fast)
    notification_services.create_webhook(tenant, url=fast.url, actor=Actor.cli())
    Event.objects.filter(tenant=tenant).update(dispatched_at=timezone.now())
    events = Event.objects.filter(pk__in=list(burst)).update(dispatched_at=None)  # (b)'s burst
    started = time.perf_counter()
    attempted = delivery.deliver_due()  # (d)
    delivered_in = time.perf_counter() - started
    fast_server.shutdown()
    succeeded = WebhookDelivery.objects.filter(
        webhook__url=fast.url, state=WebhookDelivery.State.SUCCEEDED
    ).count()
    once = set(fast.accepted.values()) == {1}

    print(f"changes per burst: {count}; store batches of {checks.WRITE_BATCH}")
    print(f"(a) store, nothing changed (ceiling): {ceiling:.2f} s")
    print(f"(b) store, every report changed:      {changed:.2f} s  ratio {changed / ceiling:.2f}")
    print(
        f"(c) store beside a slow delivery:      {in_flight_while:.2f} s  "
        f"ratio {in_flight_while / changed:.2f} to (b) (receiver {args.slow:g} s an answer; "
        f"delivery still running when the store ended: {slow_still_busy})"
    )
    print(
        f"(d) delivery of {events} events: {attempted} POSTs in {delivered_in:.2f} s = "
        f"{attempted / delivered_in:.0f}/s; succeeded {succeeded}; each received once: {once}"
    )
    print(f"load average: {os.getloadavg()}")
    for webhook in Webhook.objects.filter(tenant=tenant):  # leave nothing pending behind
        notification_services.delete_webhook(webhook, actor=Actor.cli())


if __name__ == "__main__":
    main()
