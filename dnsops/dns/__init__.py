"""The DNS client layer: every query to the DNSSEC-validating resolver goes through here.

- :mod:`dnsops.dns.types`: answers, how a lookup ended, its security state, the Extended DNS
  Error code sets, and the lookups as the status checks read them.
- :mod:`dnsops.dns.wire`: the wire codec (queries written, answers read, without dnspython on
  the hot path).
- :mod:`dnsops.dns.client`: the async client, built for sweeps (:class:`ResolverClient`).
- :mod:`dnsops.dns.resolver`: the synchronous facade for request handlers (one query).

The status checks (:mod:`dnsops.checks`) and the outbound validator (:mod:`dnsops.dane`) use
this package; it uses neither.
"""
