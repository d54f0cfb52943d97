"""TLS-RPT storage: each domain's report endpoint, the reports with their policies and
failure details (normalised for grouping), the daily aggregates the summaries read, and the
counters of refused reports (a refused report is kept nowhere else)."""

from __future__ import annotations

import secrets
import uuid

from django.db import models


def new_tlsrpt_token() -> str:
    """A fresh unguessable token for the ``rua=https://.../tlsrpt/<token>/`` URI."""
    return secrets.token_urlsafe(32)


class Channel(models.TextChoices):
    """How a report arrived."""

    HTTPS = "https", "HTTPS POST"
    MAIL = "mail", "Mail"


class TlsRptEndpoint(models.Model):
    """The report URI of one domain: ``/tlsrpt/<token>/`` (rotating it retires the old one)."""

    domain = models.OneToOneField(
        "domains.AcceptedDomain", on_delete=models.CASCADE, related_name="tlsrpt_endpoint"
    )
    token = models.CharField(max_length=64, unique=True, default=new_tlsrpt_token)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"TLS-RPT endpoint of {self.domain_id}"


class TlsReport(models.Model):
    """One report of one organization about one domain; ``raw_gzip`` is the JSON, gzipped.

    The intake stores this row alone and answers (RFC 8460 §5.4); ``processed_at`` is None
    until a worker has written its policies, failure details and aggregates (the pending rows
    are the queue). ``public_id`` names it in the API and the pages.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    domain = models.ForeignKey(
        "domains.AcceptedDomain", on_delete=models.CASCADE, related_name="tls_reports"
    )
    organization_name = models.CharField(max_length=1024)
    report_id = models.CharField(max_length=1024)
    contact_info = models.CharField(max_length=1024, blank=True, default="")
    start_datetime = models.DateTimeField()
    end_datetime = models.DateTimeField()
    day = models.DateField(help_text="The UTC day of start-datetime: the day it counts for.")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    received_at = models.DateTimeField(auto_now_add=True)
    total_successful_session_count = models.BigIntegerField()
    total_failure_session_count = models.BigIntegerField()
    raw_gzip = models.BinaryField()
    raw_size = models.PositiveIntegerField(help_text="Bytes of the decompressed JSON.")
    processed_at = models.DateTimeField(
        null=True, blank=True, help_text="When its details and aggregates were written."
    )

    class Meta:
        ordering = ("-start_datetime", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=("domain", "organization_name", "report_id"), name="tlsreport_once"
            )
        ]
        indexes = [
            models.Index(fields=("domain", "-start_datetime"), name="tlsreport_domain_latest"),
            models.Index(fields=("end_datetime",), name="tlsreport_end"),
            models.Index(
                fields=("id",),
                condition=models.Q(processed_at__isnull=True),
                name="tlsreport_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization_name} {self.report_id}"


class TlsReportPolicy(models.Model):
    """One ``policies`` entry of a report: the policy applied and its session counts."""

    report = models.ForeignKey(TlsReport, on_delete=models.CASCADE, related_name="policies")
    policy_type = models.CharField(max_length=16, help_text="tlsa, sts, no-policy-found, other")
    reported_policy_type = models.CharField(max_length=1024)
    policy_domain = models.CharField(max_length=1024, blank=True, default="")
    policy_string = models.JSONField(default=list)
    mx_host = models.JSONField(default=list)
    total_successful_session_count = models.BigIntegerField()
    total_failure_session_count = models.BigIntegerField()

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return f"{self.policy_type} {self.policy_domain}"


class TlsFailureDetail(models.Model):
    """One ``failure-details`` entry, with its domain, day and policy type copied in so the
    grouping queries read one table (written by the worker, with COPY)."""

    policy = models.ForeignKey(
        TlsReportPolicy, on_delete=models.CASCADE, related_name="failure_details"
    )
    # The policy's report and domain, copied in: no database constraint to check for each of
    # the thousands of rows a report may bring (the policy's constraint holds them; deletes
    # cascade through Django), and the domain no index of its own (the grouping index starts
    # with it).
    report = models.ForeignKey(
        TlsReport, on_delete=models.CASCADE, related_name="failure_details", db_constraint=False
    )
    domain = models.ForeignKey(
        "domains.AcceptedDomain",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    day = models.DateField()
    policy_type = models.CharField(max_length=16)
    result_type = models.CharField(max_length=1024)
    failed_session_count = models.BigIntegerField()
    sending_mta_ip = models.GenericIPAddressField(null=True, blank=True)
    receiving_mx_hostname = models.CharField(max_length=1024, blank=True, default="")
    receiving_mx_helo = models.CharField(max_length=1024, blank=True, default="")
    receiving_ip = models.GenericIPAddressField(null=True, blank=True)
    additional_information = models.TextField(blank=True, default="")
    failure_reason_code = models.CharField(max_length=1024, blank=True, default="")

    class Meta:
        ordering = ("id",)
        indexes = [
            models.Index(fields=("domain", "day", "result_type"), name="tlsfailure_domain_day"),
        ]

    def __str__(self) -> str:
        return f"{self.result_type} x{self.failed_session_count}"


class TlsRptDaily(models.Model):
    """Sessions per domain x day x policy type x result type, summed at ingestion.

    The row with ``result_type=""`` holds the policies' summary counts; the others the failed
    sessions of the failure details of that result type. Summaries read these rows only.
    """

    domain = models.ForeignKey("domains.AcceptedDomain", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    policy_type = models.CharField(max_length=16)
    result_type = models.CharField(max_length=1024, blank=True, default="")
    successful_sessions = models.BigIntegerField(default=0)
    failed_sessions = models.BigIntegerField(default=0)
    reports = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("domain", "day", "policy_type", "result_type"), name="tlsrptdaily_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.domain_id} {self.day} {self.policy_type} {self.result_type or '-'}"


class TlsRptOrganizationDaily(models.Model):
    """Reports and sessions per domain x day x reporting organization."""

    domain = models.ForeignKey("domains.AcceptedDomain", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    organization_name = models.CharField(max_length=1024)
    reports = models.PositiveIntegerField(default=0)
    successful_sessions = models.BigIntegerField(default=0)
    failed_sessions = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("domain", "day", "organization_name"), name="tlsrptorgdaily_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.domain_id} {self.day} {self.organization_name}"


class TlsRptRefusal(models.Model):
    """How many reports were refused per day, channel and reason (nothing else is kept)."""

    day = models.DateField()
    channel = models.CharField(max_length=8, choices=Channel.choices)
    reason = models.CharField(max_length=32)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("day", "channel", "reason"), name="tlsrptrefusal_key")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.channel} {self.reason}: {self.count}"
