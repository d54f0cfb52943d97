"""Outbound SMTP DANE validation (RFC 7672): pure logic, and the I/O that feeds it.

Pure functions over plain data (no DNS or network I/O):

- :mod:`dnsops.dane.tlsa`: TLSA records, association data, usability and digest agility.
- :mod:`dnsops.dane.names`: DANE-TA reference identifiers and certificate name matching.
- :mod:`dnsops.dane.verify`: matching a presented certificate chain against a TLSA RRset.
- :mod:`dnsops.dane.policy`: the RFC 7672 decisions from MX lookup to the destination outcome.
- :mod:`dnsops.dane.verdicts`: verdicts with their status codes and TLS-RPT result types.
- :mod:`dnsops.dane.retry`: the retry schedule and the 4.x.x / 5.x.x code at a given time.

The I/O side (asyncio):

- :mod:`dnsops.dane.lookups`: MX, A/AAAA, CNAME and TLSA lookups, each a step of the trace: an
  adapter over the DNS client of :mod:`dnsops.dns`.
- :mod:`dnsops.dane.smtp`: connect, EHLO, STARTTLS with SNI, and the presented chain.
- :mod:`dnsops.dane.trace`: the steps of a validation with their timing, and its deadline.
- :mod:`dnsops.dane.analyzer`: one destination from MX lookup to verdict, with every step.
- :mod:`dnsops.dane.config`: the analyzer's configuration from the settings.

Running a validation for a tenant and storing it is the product's: ``domains.dane_validations``.
The RFC 7671 §8 checks of the RRset the provider itself publishes (inbound) are
:mod:`dnsops.inbound.publisher`.
"""
