"""How a partition zone is served: the SOA serial on every authoritative server, the earliest
RRSIG expiry, the DS at the parent, and whether the zone changed outside the control plane.

``assess`` is the pure judgement over plain observations; ``probe`` asks the servers (through
the one DNS client, :mod:`dnsops.dns.client`) and feeds it.
"""
