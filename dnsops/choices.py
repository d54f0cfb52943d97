"""Enumerations of the dnsops app."""

from django.db import models


class PartitionStatus(models.TextChoices):
    """Whether new domains may be placed in a partition."""

    ACTIVE = "active", "Active: takes new domains"
    FULL = "full", "Full: keeps its domains, takes no new ones"
    RETIRED = "retired", "Retired: being emptied"


class InboundKeyState(models.TextChoices):
    """Where an inbound key is in its rollover: published ahead, in use, or withdrawn."""

    NEXT = "next", "Next (published, not yet served)"
    CURRENT = "current", "Current (served and published)"
    RETIRED = "retired", "Retired (not published)"


PUBLISHED_KEY_STATES = (InboundKeyState.NEXT, InboundKeyState.CURRENT)
