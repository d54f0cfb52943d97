"""The provider's inbound side, pure (no database, no network): its certificates and the TLSA
data they give (:mod:`dnsops.inbound.keys`), and the RFC 7671 §8 checks a TLSA publisher runs
on the RRset it publishes against the chains it deploys (:mod:`dnsops.inbound.publisher`).

Registering keys and rolling them over is the product's: ``domains.inbound_keys``.
"""
