"""Reads of stored outbound DANE validations, always scoped to one tenant."""

from __future__ import annotations

from django.db.models import QuerySet

from dnsops.models import DaneValidation
from domains.models import Tenant


def validations_of(tenant: Tenant) -> QuerySet[DaneValidation]:
    """The tenant's validations, newest first."""
    return DaneValidation.objects.filter(tenant=tenant)
