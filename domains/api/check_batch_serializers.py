"""Serializers of check batches (``/api/v1/check-batches/``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from domains.check_batches import MAX_DOMAINS, BatchProgress
from domains.models import CheckBatchItem


@extend_schema_field(
    {
        "oneOf": [
            {
                "type": "array",
                "items": {"type": "string", "maxLength": 253},
                "minItems": 1,
                "maxItems": MAX_DOMAINS,
            },
            {"type": "string", "enum": ["all"]},
        ],
        "description": f'Up to {MAX_DOMAINS} of the tenant\'s domain names, or "all".',
    }
)
class DomainSelectionField(serializers.Field):
    """A list of domain names (strings), or the string ``"all"``; the service checks the
    names (how many, whether each is the tenant's)."""

    default_error_messages = {
        "invalid": 'Give a list of domain names (strings) or "all".',
    }

    def to_internal_value(self, data: Any) -> list[str] | str:
        """The list (strings only) or ``"all"``."""
        if data == "all":
            return "all"
        if isinstance(data, list) and all(isinstance(name, str) for name in data):
            return data
        self.fail("invalid")
        raise AssertionError  # fail() raises

    def to_representation(self, value: Any) -> Any:
        """As given."""
        return value


class CheckBatchRequestSerializer(serializers.Serializer):
    """``{"domains": [...]}`` or ``{"domains": "all"}``."""

    domains = DomainSelectionField()


class CheckBatchItemSerializer(serializers.ModelSerializer):
    """One domain of a batch: its outcome, the run's overall status and id."""

    domain = serializers.CharField(source="domain_name")
    check_run = serializers.UUIDField(source="check_run_id", allow_null=True)

    class Meta:
        model = CheckBatchItem
        fields = (
            "domain",
            "outcome",
            "overall_status",
            "check_run",
            "code",
            "detail",
            "finished_at",
        )
        read_only_fields = fields


class CheckBatchSerializer(serializers.Serializer):
    """A batch's progress (``done`` of ``total``), the count of each outcome and, on ``GET``,
    the per-domain results."""

    id = serializers.UUIDField(source="batch.id")
    state = serializers.SerializerMethodField()
    total = serializers.IntegerField(source="batch.total")
    done = serializers.IntegerField()
    counts = serializers.DictField(child=serializers.IntegerField())
    requested_by = serializers.CharField(source="batch.requested_by")
    created_at = serializers.DateTimeField(source="batch.created_at")
    finished_at = serializers.DateTimeField(source="batch.finished_at", allow_null=True)
    results = serializers.SerializerMethodField()

    def get_state(self, progress: BatchProgress) -> str:
        """``running`` or ``done``."""
        return "done" if progress.is_finished else "running"

    @extend_schema_field(CheckBatchItemSerializer(many=True))
    def get_results(self, progress: BatchProgress) -> list[dict[str, Any]]:
        """Every domain of the batch (in name order) with its outcome so far."""
        if not self.context.get("with_results", True):
            return []
        items = progress.batch.items.order_by("domain_name")
        return list(CheckBatchItemSerializer(items, many=True).data)
