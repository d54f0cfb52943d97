"""Serializers of the TLS-RPT API; field names follow RFC 8460 (hyphens as underscores)."""

from __future__ import annotations

from rest_framework import serializers

from domains.tlsrpt.models import TlsFailureDetail, TlsReport, TlsReportPolicy


class TlsFailureDetailSerializer(serializers.ModelSerializer):
    """One failure detail as reported (empty strings: not reported)."""

    class Meta:
        model = TlsFailureDetail
        fields = (
            "result_type",
            "failed_session_count",
            "sending_mta_ip",
            "receiving_mx_hostname",
            "receiving_mx_helo",
            "receiving_ip",
            "additional_information",
            "failure_reason_code",
        )
        read_only_fields = fields


class TlsReportPolicySerializer(serializers.ModelSerializer):
    """One policy of a report with its counts and failure details."""

    failure_details = TlsFailureDetailSerializer(many=True, read_only=True)

    class Meta:
        model = TlsReportPolicy
        fields = (
            "policy_type",
            "reported_policy_type",
            "policy_domain",
            "policy_string",
            "mx_host",
            "total_successful_session_count",
            "total_failure_session_count",
            "failure_details",
        )
        read_only_fields = fields


REPORT_FIELDS: tuple[str, ...] = (
    "id",  # the opaque public_id
    "organization_name",
    "report_id",
    "contact_info",
    "start_datetime",
    "end_datetime",
    "day",
    "channel",
    "received_at",
    "total_successful_session_count",
    "total_failure_session_count",
    "raw_size",
)


class TlsReportSerializer(serializers.ModelSerializer):
    """A report in a list; ``id`` is its opaque UUID (the path of the one-report URLs)."""

    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = TlsReport
        fields = REPORT_FIELDS
        read_only_fields = fields


class TlsReportDetailSerializer(TlsReportSerializer):
    """One report with its policies and their failure details."""

    policies = TlsReportPolicySerializer(many=True, read_only=True)

    class Meta(TlsReportSerializer.Meta):
        fields = (*REPORT_FIELDS, "policies")
        read_only_fields = fields


class TlsReportListQuerySerializer(serializers.Serializer):
    """Filters of the report list: UTC days (inclusive) and a result type the report has."""

    since = serializers.DateField(required=False)
    until = serializers.DateField(required=False)
    result_type = serializers.CharField(required=False, max_length=1024)

    def validate(self, attrs: dict[str, object]) -> dict[str, object]:
        """``since`` must not be after ``until``."""
        since, until = attrs.get("since"), attrs.get("until")
        if since is not None and until is not None and since > until:  # type: ignore[operator]
            raise serializers.ValidationError({"since": ["since is after until."]})
        return attrs


class TlsReportSummaryQuerySerializer(serializers.Serializer):
    """``?days=``: how many UTC days, ending today, the summary covers."""

    days = serializers.IntegerField(default=30, min_value=1, max_value=400)


class DaySummarySerializer(serializers.Serializer):
    """Sessions of one UTC day (``result_types``: failed sessions per result type)."""

    date = serializers.DateField()
    total_successful_session_count = serializers.IntegerField()
    total_failure_session_count = serializers.IntegerField()
    result_types = serializers.DictField(child=serializers.IntegerField())


class TlsRptSummarySerializer(serializers.Serializer):
    """The summary: one entry per day, oldest first."""

    days = DaySummarySerializer(many=True)


class TlsRptRecordSerializer(serializers.Serializer):
    """The TXT value to publish at ``_smtp._tls.<domain>``."""

    tlsrpt_record_name = serializers.CharField()
    tlsrpt_record = serializers.CharField()
