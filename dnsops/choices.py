"""Enumerations of the dnsops app."""

from django.db import models


class PartitionStatus(models.TextChoices):
    """Whether new domains may be placed in a partition."""

    ACTIVE = "active", "Active: takes new domains"
    FULL = "full", "Full: keeps its domains, takes no new ones"
    RETIRED = "retired", "Retired: being emptied"
