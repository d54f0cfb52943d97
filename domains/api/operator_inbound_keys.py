"""The operator API of the inbound key rollover (``/api/v1/operator/inbound-keys/…``): thin
views over ``domains.rollover``, for the provider's operators only (session sign-in)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from domains import rollover
from domains.api.serializers import ErrorSerializer, RolloverStateSerializer
from domains.audit import Actor
from domains.permissions import IsOperator


class PartitionReadinessSerializer(serializers.Serializer):
    """One DANE partition: when the TLSA set was first seen on every server, when the gate
    lets the key be promoted."""

    Zone = serializers.CharField()
    FirstSeenEverywhereAt = serializers.DateTimeField(allow_null=True)
    PromotionAllowedAt = serializers.DateTimeField(allow_null=True)
    Ready = serializers.BooleanField()
    Detail = serializers.CharField()


class PromotionSerializer(serializers.Serializer):
    """Whether a next key may be promoted now, and from when (null: not yet seen
    everywhere)."""

    Allowed = serializers.BooleanField()
    AllowedAt = serializers.DateTimeField(allow_null=True)
    Partitions = PartitionReadinessSerializer(many=True)


class ProbeFindingSerializer(serializers.Serializer):
    """A served-certificate finding (codes EK001-EK006, docs/status-codes.md)."""

    code = serializers.CharField()
    severity = serializers.ChoiceField(choices=["error", "warning", "info"])
    message = serializers.CharField()
    action = serializers.CharField()
    params = serializers.DictField(child=serializers.CharField())


class ServedAddressSerializer(serializers.Serializer):
    """What one inbound address served at the last probe."""

    Address = serializers.CharField()
    Port = serializers.IntegerField()
    ProbedAt = serializers.DateTimeField()
    ServedKey = serializers.CharField(allow_null=True, help_text="null: an unregistered key.")
    Matches = serializers.BooleanField(help_text="A DANE sender authenticates the chain.")
    NotAfter = serializers.DateTimeField(allow_null=True)
    Findings = ProbeFindingSerializer(many=True)


class InboundKeySerializer(serializers.Serializer):
    """One inbound key in the rollover."""

    Name = serializers.CharField()
    State = serializers.ChoiceField(choices=["next", "current", "retired"])
    Role = serializers.ChoiceField(
        choices=["next", "current", "outgoing", "retired"],
        help_text="outgoing: still current, but an older key than the newest promotion.",
    )
    IsIssuer = serializers.BooleanField()
    TlsaRecord = serializers.CharField()
    NotAfter = serializers.DateTimeField()
    SecondsToExpiry = serializers.IntegerField()
    PromotedAt = serializers.DateTimeField(allow_null=True)
    RetiredAt = serializers.DateTimeField(allow_null=True)
    DeletedAfter = serializers.DateTimeField(allow_null=True)
    DaneDomainsPublishing = serializers.IntegerField()
    ServedBy = serializers.ListField(child=serializers.CharField())
    Promotion = PromotionSerializer(allow_null=True, help_text="Set for next keys.")


class KeyStatusSerializer(serializers.Serializer):
    """``inbound_key_status``: the keys, the rollover state, what each address serves."""

    Now = serializers.DateTimeField()
    GateSeconds = serializers.IntegerField(help_text="2 x DANE_RECORD_TTL + margin.")
    Rollover = RolloverStateSerializer()
    Keys = InboundKeySerializer(many=True)
    InboundAddresses = ServedAddressSerializer(many=True)
    Findings = ProbeFindingSerializer(many=True)


class PromoteRequestSerializer(serializers.Serializer):
    """A promotion; ``force`` skips the gate and needs a ``reason`` (audited)."""

    force = serializers.BooleanField(default=False)
    reason = serializers.CharField(default="", allow_blank=True, max_length=500)


class RefusalSerializer(ErrorSerializer):
    """A refused rollover step (``RolloverRefused``): nothing changed."""

    key = serializers.CharField()


class OperatorView(APIView):
    """Operators only, signed in to the web UI (their session)."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsOperator]

    @staticmethod
    def actor(request: Request) -> Actor:
        """The operator, as audit events name it."""
        return Actor(f"user:{request.user.get_username()}")


class InboundKeyStatusView(OperatorView):
    """The inbound keys and their rollover."""

    @extend_schema(responses={200: KeyStatusSerializer, 403: ErrorSerializer})
    def get(self, request: Request) -> Response:
        """Every key, the partitions' gate, what each inbound address serves."""
        return Response(rollover.key_status())


class PromoteInboundKeyView(OperatorView):
    """Promote a next key to current."""

    @extend_schema(
        request=PromoteRequestSerializer,
        responses={
            200: KeyStatusSerializer,
            400: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
            409: RefusalSerializer,
        },
        examples=[
            OpenApiExample("Promote once the gate has passed", value={}, request_only=True),
            OpenApiExample(
                "Forced (audited)",
                value={"force": True, "reason": "The old key leaked"},
                request_only=True,
            ),
        ],
    )
    def post(self, request: Request, name: str) -> Response:
        """Promote ``name``; a 409 ``RolloverRefused`` says which partitions are not ready
        and when they will be."""
        body = PromoteRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rollover.promote(
            name,
            actor=self.actor(request),
            force=body.validated_data["force"],
            reason=body.validated_data["reason"],
        )
        return Response(rollover.key_status())


class RetireInboundKeyView(OperatorView):
    """Retire a key (withdraw its TLSA)."""

    @extend_schema(
        request=None,
        responses={
            200: KeyStatusSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
            409: RefusalSerializer,
        },
    )
    def post(self, request: Request, name: str) -> Response:
        """Probe the inbound servers, then retire ``name``; a 409 ``RolloverRefused`` names
        the addresses that still need its TLSA."""
        rollover.retire(name, actor=self.actor(request))
        return Response(rollover.key_status())
