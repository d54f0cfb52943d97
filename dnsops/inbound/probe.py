"""The served-certificate probe (I/O): an SMTP session with STARTTLS to each of the provider's
inbound addresses, up to the end of the TLS handshake (the outbound validator's SMTP client,
``dnsops.dane.smtp``), and the chain each one presented. What the chains mean against the
registered keys and the published TLSA set is ``dnsops.inbound.served`` (pure)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from dnsops.dane.policy import SessionOutcome
from dnsops.dane.smtp import SmtpLimits, smtp_session
from dnsops.dane.trace import Deadline, Trace


@dataclass(frozen=True)
class ProbeResult:
    """What one address served: its chain (leaf first; empty when the session did not get
    through the TLS handshake) and how the session went."""

    address: str
    port: int
    chain: tuple[x509.Certificate, ...]
    detail: str

    @property
    def chain_pem(self) -> str:
        """The chain as PEM text, leaf first."""
        return "".join(cert.public_bytes(Encoding.PEM).decode() for cert in self.chain)


async def _probe_one(
    address: str, port: int, *, host: str, ehlo_name: str, timeout: float
) -> ProbeResult:
    session = await smtp_session(
        address,
        port,
        host=host,
        sni=host,
        ehlo_name=ehlo_name,
        limits=SmtpLimits(connect=timeout, greeting=timeout, command=timeout, handshake=timeout),
        deadline=Deadline(timeout),
        trace=Trace(),
    )
    chain = session.chain if session.outcome is SessionOutcome.TLS_ESTABLISHED else ()
    return ProbeResult(address, port, tuple(chain), session.detail)


def probe_addresses(
    addresses: Sequence[str], port: int, *, host: str, ehlo_name: str, timeout: float
) -> list[ProbeResult]:
    """Probe every address at once (each within ``timeout`` seconds); ``host`` is the name
    sent as SNI (the provider's MX suffix)."""

    async def every() -> list[ProbeResult]:
        return list(
            await asyncio.gather(
                *(
                    _probe_one(address, port, host=host, ehlo_name=ehlo_name, timeout=timeout)
                    for address in addresses
                )
            )
        )

    return asyncio.run(every())
