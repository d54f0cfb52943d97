"""Every status code: its section, severity, when it fires, and its message and action.

Messages always name the domain; actions say what to change in the customer's terms (which
record, which value, which preference, which policy line). Templates use ``str.format``
fields filled by the check that reports the code; a finding keeps those values (``params``)
and the templates are marked for translation, so the UI renders them in the reader's
language. ``docs/status-codes.md`` embeds :func:`catalogue_markdown` (a test keeps the two in
step).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_noop

from dnsops.checks.findings import Finding, Section, Severity


@dataclass(frozen=True)
class CodeSpec:
    """One code of the catalogue."""

    code: str
    section: Section
    severity: Severity
    fires_when: str
    message: str
    action: str


_SPECS = (
    # Domain level: the checks stop here.
    CodeSpec(
        "EG001",
        Section.DOMAIN,
        Severity.ERROR,
        "The domain is not an accepted domain of the caller's tenant.",
        gettext_noop("{domain} is not an accepted domain of your organisation in this service."),
        gettext_noop(
            "Add {domain} as an accepted domain (POST /api/v1/domains/) and verify it; if you "
            "added it moments ago, retry later. Check the spelling if it should already be there."
        ),
    ),
    CodeSpec(
        "EG002",
        Section.DOMAIN,
        Severity.ERROR,
        "The domain is accepted but its ownership is not verified.",
        gettext_noop("{domain} is an accepted domain, but its ownership is not verified yet."),
        gettext_noop(
            "Publish the TXT record shown as verification_record at {domain}, then verify it "
            "(POST /api/v1/domains/{domain}/verify/)."
        ),
    ),
    # DNS section.
    CodeSpec(
        "ED001",
        Section.DNS,
        Severity.ERROR,
        "The MX query failed: SERVFAIL, timeout or REFUSED from the validating resolver.",
        gettext_noop("The MX lookup for {domain} failed: {reason}."),
        gettext_noop(
            "Make sure every name server of {domain} answers MX queries (check the NS records at "
            "your registrar and that each name server serves the zone); if the zone is signed, the "
            "other DNS findings name the DNSSEC problem. Then run the check again."
        ),
    ),
    CodeSpec(
        "ED002",
        Section.DNS,
        Severity.ERROR,
        "The MX query answered NXDOMAIN: the domain does not exist in DNS.",
        gettext_noop("{domain} does not exist in DNS (NXDOMAIN)."),
        gettext_noop(
            "Check the delegation of {domain} at your registrar (its NS records) and that your DNS "
            "host serves the zone {domain}; then run the check again."
        ),
    ),
    CodeSpec(
        "ED003",
        Section.DNS,
        Severity.ERROR,
        "The domain exists, but no MX record is DNSSEC-authentic (AD) and points to a host "
        "with DNSSEC-authentic A/AAAA records.",
        gettext_noop(
            "{domain} has no MX record that is DNSSEC-authentic and points to a host with "
            "DNSSEC-authentic A/AAAA records: {reason}."
        ),
        gettext_noop(
            "Publish an MX record at {domain} for {expected_host} with preference 0 (this service "
            "signs its A/AAAA records) and sign the zone {domain} with DNSSEC, with its DS record "
            "at your registrar; the other DNS and MX findings say which part is missing."
        ),
    ),
    CodeSpec(
        "ED004",
        Section.DNS,
        Severity.WARNING,
        "Answers for the domain are not authenticated and the zone publishes no DNSKEY.",
        gettext_noop(
            "The zone {domain} is not DNSSEC-signed: its answers are not authenticated and it "
            "publishes no DNSKEY records."
        ),
        gettext_noop(
            "Turn on DNSSEC signing for {domain} at your DNS host, then add the DS record it gives "
            "you at your registrar (algorithm 13 and digest type 2 are recommended)."
        ),
    ),
    CodeSpec(
        "ED005",
        Section.DNS,
        Severity.WARNING,
        "Answers are not authenticated; the zone publishes DNSKEY records but the parent has "
        "no DS record for it.",
        gettext_noop(
            "The zone {domain} publishes DNSKEY records, but its parent zone has no DS record for "
            "it, so resolvers cannot validate {domain}."
        ),
        gettext_noop(
            "Add the DS record of {domain} at your registrar (your DNS host shows it; use digest "
            "type 2, SHA-256), or let the registrar take it from your CDS/CDNSKEY records if it "
            "supports that."
        ),
    ),
    CodeSpec(
        "ED006",
        Section.DNS,
        Severity.WARNING,
        "Answers are not authenticated although the zone publishes DNSKEY and the parent a "
        "DS record: the chain of trust above the domain is broken.",
        gettext_noop(
            "{domain} is signed and its parent publishes a DS record for it, but the validating "
            "resolver cannot build a chain of trust to {domain}: the parent zone is not signed or "
            "its DS record is not authenticated."
        ),
        gettext_noop(
            "Nothing in the zone {domain} needs to change: ask your registrar whether the "
            "registry's zone is DNSSEC-signed and whether the DS record of {domain} is published "
            "correctly."
        ),
    ),
    CodeSpec(
        "ED007",
        Section.DNS,
        Severity.WARNING,
        "The earliest RRSIG expiration seen is in the future but within 7 days.",
        gettext_noop(
            "DNSSEC signatures in the zone {domain} expire at {expires_at} (in {time_left}), "
            "within {window_days} days."
        ),
        gettext_noop(
            "Check that your DNS host re-signs the zone {domain} automatically (signatures are "
            "normally refreshed long before they expire); if you sign by hand, re-sign it now."
        ),
    ),
    CodeSpec(
        "ED008",
        Section.DNS,
        Severity.ERROR,
        "Validation fails (bogus) and no more specific cause is known: EDE 0, 5, 6 or 24, "
        "or no EDE at all.",
        gettext_noop("DNSSEC validation of {domain} fails (bogus): {reason}."),
        gettext_noop(
            "Compare the DS record of {domain} at your registrar with the DNSKEY records your DNS "
            "host publishes, and re-sign the zone; a DNSSEC analyser (such as DNSViz) shows which "
            "link is broken. If you cannot fix it at once, delete the DS record at your registrar "
            "so that {domain} resolves again, unsigned."
        ),
    ),
    CodeSpec(
        "ED009",
        Section.DNS,
        Severity.ERROR,
        "The resolver reports EDE 7 (Signature Expired), or an RRSIG expiration seen is in "
        "the past.",
        gettext_noop("The DNSSEC signatures of {domain} have expired: {reason}."),
        gettext_noop(
            "Re-sign the zone {domain} at your DNS host now and check that automatic re-signing "
            "runs; resolvers reject {domain} until fresh signatures are published."
        ),
    ),
    CodeSpec(
        "ED010",
        Section.DNS,
        Severity.ERROR,
        "The resolver reports EDE 8 (Signature Not Yet Valid).",
        gettext_noop(
            "The DNSSEC signatures of {domain} are not valid yet (their inception time is in the "
            "future): {reason}."
        ),
        gettext_noop(
            "Check the clock of the system that signs {domain} and re-sign the zone; signature "
            "inception times must be in the past."
        ),
    ),
    CodeSpec(
        "ED011",
        Section.DNS,
        Severity.ERROR,
        "The resolver reports EDE 9 (DNSKEY Missing) or 11 (No Zone Key Bit Set), or the "
        "parent has a DS record while the zone publishes no DNSKEY.",
        gettext_noop(
            "The DS record of {domain} at its parent matches no DNSKEY of the zone {domain}: "
            "{reason}."
        ),
        gettext_noop(
            "Replace the DS record of {domain} at your registrar with the one for the zone's "
            "current key-signing key (DNSKEY flags 257), as your DNS host shows it; delete DS "
            "records of keys that no longer exist."
        ),
    ),
    CodeSpec(
        "ED012",
        Section.DNS,
        Severity.ERROR,
        "The resolver reports EDE 10 (RRSIGs Missing).",
        gettext_noop(
            "The zone {domain} has a DS record at its parent, but its answers carry no DNSSEC "
            "signatures (RRSIG): {reason}."
        ),
        gettext_noop(
            "Turn DNSSEC signing back on for {domain} at your DNS host (every name server must "
            "serve the signed zone), or delete the DS record of {domain} at your registrar."
        ),
    ),
    CodeSpec(
        "ED013",
        Section.DNS,
        Severity.ERROR,
        "The resolver reports EDE 12 (NSEC Missing).",
        gettext_noop(
            "The zone {domain} does not prove that names or records are absent (NSEC/NSEC3 "
            "records missing): {reason}."
        ),
        gettext_noop(
            "Re-sign the zone {domain} so that it includes NSEC or NSEC3 records, and make sure "
            "every name server of {domain} serves the same signed zone."
        ),
    ),
    CodeSpec(
        "ED014",
        Section.DNS,
        Severity.ERROR,
        "The resolver reports EDE 1 (Unsupported DNSKEY Algorithm) or 2 (Unsupported DS "
        "Digest Type).",
        gettext_noop(
            "The validating resolver cannot validate {domain}: its DNSKEY algorithm or DS digest "
            "type is not supported ({reason})."
        ),
        gettext_noop(
            "Re-sign {domain} with algorithm 13 (ECDSA P-256 SHA-256) and publish its DS record at "
            "your registrar with digest type 2 (SHA-256); delete DS records with other algorithms "
            "or digest types."
        ),
    ),
    CodeSpec(
        "ED015",
        Section.DNS,
        Severity.WARNING,
        "The resolver reports EDE 3 or 19 (stale answer), 22 (No Reachable Authority) or 23 "
        "(Network Error).",
        gettext_noop(
            "The validating resolver could not reach the name servers of {domain}: {reason}."
        ),
        gettext_noop(
            "Check that the name servers listed for {domain} at your registrar are reachable on "
            "UDP and TCP port 53 and answer for the zone {domain}."
        ),
    ),
    CodeSpec(
        "ED016",
        Section.DNS,
        Severity.WARNING,
        "A DNSKEY algorithm of the zone is MUST NOT or NOT RECOMMENDED for signing (RFC 8624 "
        "section 3.1): 1, 3, 5, 6, 7, 10 or 12.",
        gettext_noop(
            "The zone {domain} is signed with DNSKEY algorithm {algorithms}, which RFC 8624 says "
            "must not or should not be used for signing."
        ),
        gettext_noop(
            "Roll the keys of {domain} to algorithm 13 (ECDSA P-256 SHA-256) at your DNS host, "
            "then replace the DS record at your registrar with the new one."
        ),
    ),
    CodeSpec(
        "ED017",
        Section.DNS,
        Severity.WARNING,
        "A DS digest type at the parent is MUST NOT for delegations (RFC 8624 section 3.3): "
        "0, 1 or 3.",
        gettext_noop(
            "The DS record of {domain} at its parent uses digest type {digests}, which RFC 8624 "
            "says must not be used for delegations."
        ),
        gettext_noop(
            "Add a DS record for {domain} with digest type 2 (SHA-256) at your registrar, then "
            "delete the DS record with digest type {digests}."
        ),
    ),
    CodeSpec(
        "ED018",
        Section.DNS,
        Severity.WARNING,
        "Answers are not authenticated and the DNSKEY (or, with DNSKEY published, the DS) "
        "lookup failed, so the signing state is unknown.",
        gettext_noop(
            "Answers for {domain} are not authenticated, and the {lookup} lookup failed, so it is "
            "not known whether the zone is signed and delegated securely."
        ),
        gettext_noop(
            "Nothing to change if this passes on the next check; if it persists, make sure the "
            "name servers of {domain} (and of its parent zone, for DS) answer {lookup} queries "
            "over UDP and TCP."
        ),
    ),
    # MX section, in the order of the decision table (SPEC §5).
    CodeSpec(
        "EX012",
        Section.MX,
        Severity.ERROR,
        "The MX query answered NODATA: no MX records at all.",
        gettext_noop("{domain} has no MX records."),
        gettext_noop("Publish an MX record at {domain} for {expected_host} with preference 0."),
    ),
    CodeSpec(
        "EX013",
        Section.MX,
        Severity.ERROR,
        "The domain publishes the null MX (0 .), or its MX answer cannot be read as MX.",
        gettext_noop("{domain} {problem}."),
        gettext_noop(
            "Replace the MX records of {domain} with one MX record for {expected_host} with "
            'preference 0 (delete the null MX "0 ." or the malformed record).'
        ),
    ),
    CodeSpec(
        "EX010",
        Section.MX,
        Severity.ERROR,
        "The MX lookup failed in a way ED001/ED002 do not cover (FORMERR, NOTIMP, another "
        "rcode, a local error).",
        gettext_noop("The MX records of {domain} could not be looked up: {reason}."),
        gettext_noop(
            "Check that every name server of {domain} answers MX queries correctly (no errors, "
            "well-formed answers), then run the check again."
        ),
    ),
    CodeSpec(
        "EX002",
        Section.MX,
        Severity.ERROR,
        "The expected host is not an MX, but an MX points into the provider's DNSSEC MX "
        "namespace (wrong token or partition, or DNSSEC not enabled).",
        gettext_noop(
            "{domain} has MX records pointing into {dnssec_mx_suffix} ({found_hosts}), but none "
            "of them is the DNSSEC MX host of {domain}, {expected_host}."
        ),
        gettext_noop(
            "Change the MX records {found_hosts} at {domain} to {expected_host}; keep the "
            "preference you use for them."
        ),
    ),
    CodeSpec(
        "EX007",
        Section.MX,
        Severity.ERROR,
        "The expected host is not an MX, and no MX points into the DNSSEC MX namespace.",
        gettext_noop("No MX record of {domain} points to {expected_host}."),
        gettext_noop(
            "Add an MX record at {domain} for {expected_host} with preference 20, keeping your "
            "current MX records more preferred while you test; once mail flows through it, set it "
            "to preference 0 and delete the others."
        ),
    ),
    CodeSpec(
        "EX003",
        Section.MX,
        Severity.ERROR,
        "The expected host is the only MX, with a preference other than 0.",
        gettext_noop(
            "The only MX record of {domain} points to {expected_host}, but with preference "
            "{preference} instead of 0."
        ),
        gettext_noop(
            "Change the preference of the MX record {expected_host} at {domain} from {preference} "
            "to 0."
        ),
    ),
    CodeSpec(
        "EX006",
        Section.MX,
        Severity.ERROR,
        "A legacy MX host of the provider is more preferred than the expected host.",
        gettext_noop(
            "The legacy MX {other_hosts} of this service is more preferred than {expected_host} "
            "(preference {preference}) at {domain}, so mail for {domain} still arrives without "
            "DANE."
        ),
        gettext_noop(
            "At {domain}, set the MX record {expected_host} to preference 0 and move each of "
            "{other_hosts} to preference 30; once mail flows through {expected_host}, delete "
            "those legacy MX records."
        ),
    ),
    CodeSpec(
        "EX009",
        Section.MX,
        Severity.ERROR,
        "Another (non-legacy) MX host is more preferred than the expected host.",
        gettext_noop(
            "The MX {other_hosts} is more preferred than {expected_host} (preference "
            "{preference}) at {domain}, so mail for {domain} goes there first."
        ),
        gettext_noop(
            "At {domain}, set the MX record {expected_host} to preference 0, and give each of "
            "{other_hosts} a higher preference number or delete it if it should no longer "
            "receive mail for {domain}."
        ),
    ),
    CodeSpec(
        "EX004",
        Section.MX,
        Severity.ERROR,
        "Another MX has the same preference as the expected host.",
        gettext_noop(
            "At {domain}, the MX {other_hosts} has the same preference as {expected_host} "
            "({preference}), so senders split mail between them and part of it arrives without "
            "DANE."
        ),
        gettext_noop(
            "At {domain}, set the MX record {expected_host} to preference 0 and give each of "
            "{other_hosts} a higher preference number (for example 30); delete those records "
            "once mail flows through {expected_host}."
        ),
    ),
    CodeSpec(
        "EX008",
        Section.MX,
        Severity.ERROR,
        "The expected host is the most preferred MX, but its preference is not 0.",
        gettext_noop(
            "{expected_host} is the most preferred MX of {domain}, but with preference "
            "{preference} instead of 0 (the others: {other_hosts})."
        ),
        gettext_noop(
            "Change the preference of the MX record {expected_host} at {domain} from {preference} "
            "to 0."
        ),
    ),
    CodeSpec(
        "EX005",
        Section.MX,
        Severity.ERROR,
        "The expected host is the most preferred MX, at 0, but less preferred MX records remain.",
        gettext_noop(
            "{expected_host} is the most preferred MX of {domain}, at preference 0, but other MX "
            "records remain: {other_hosts}."
        ),
        gettext_noop(
            "Delete the MX records {other_hosts} at {domain}, so that {expected_host} "
            "(preference 0) is the only one, then raise the TTL of that MX record to 3600."
        ),
    ),
    # MTA-STS section.
    CodeSpec(
        "ES001",
        Section.MTA_STS,
        Severity.ERROR,
        "The policy's mode is enforce and no mx line matches the expected host.",
        gettext_noop(
            "The MTA-STS policy of {domain} is in enforce mode and none of its mx lines "
            "({patterns}) matches {expected_host}, so senders that apply MTA-STS refuse to "
            "deliver mail for {domain} to it.{pitfall}"
        ),
        gettext_noop(
            'Edit {policy_url}: set "mode: testing" while you migrate, add the line '
            '"mx: {suggested_pattern}" (or "mx: {expected_host}"), then change the id of the TXT '
            "record at {txt_name} (now {current_id}, for example to {new_id}) so senders fetch "
            'the new policy; set "mode: enforce" again once the MX migration is done.'
        ),
    ),
    CodeSpec(
        "ES002",
        Section.MTA_STS,
        Severity.WARNING,
        "A valid policy (mode enforce or testing) exists, but DNSSEC is not enabled for the "
        "domain here, so the expected host is unknown.",
        gettext_noop(
            "{domain} publishes an MTA-STS policy (mode {mode}), but DNSSEC is not enabled for "
            "{domain} in this service, so the MX host the policy must list is not known yet."
        ),
        gettext_noop(
            "Enable DNSSEC for {domain} to get its DnssecMxValue; before you add that MX record, "
            'set "mode: testing" in {policy_url}, add an "mx:" line for the DnssecMxValue, and '
            "change the id of the TXT record at {txt_name}."
        ),
    ),
    CodeSpec(
        "ES003",
        Section.MTA_STS,
        Severity.WARNING,
        "A TXT record at _mta-sts looks like MTA-STS but is not exactly one valid "
        "v=STSv1 record (syntax, id, several records).",
        gettext_noop(
            "The MTA-STS TXT record at {txt_name} is not valid, so senders treat {domain} as "
            "having no MTA-STS: {problem}."
        ),
        gettext_noop(
            'Publish exactly one TXT record at {txt_name} of the form "v=STSv1; id=<1 to 32 '
            'letters or digits>;" (for example "v=STSv1; id={new_id};"), or delete it if '
            "{domain} should not use MTA-STS."
        ),
    ),
    CodeSpec(
        "ES004",
        Section.MTA_STS,
        Severity.WARNING,
        "The _mta-sts TXT lookup failed (SERVFAIL, timeout, REFUSED, unreadable, other "
        "error): whether MTA-STS is published is unknown.",
        gettext_noop(
            "The MTA-STS TXT record of {domain} at {txt_name} could not be looked up: {reason}."
        ),
        gettext_noop(
            "Check that the name servers of {domain} answer TXT queries for {txt_name} (and for "
            "the target of its CNAME, if it has one), then run the check again."
        ),
    ),
    CodeSpec(
        "ES005",
        Section.MTA_STS,
        Severity.WARNING,
        "The TXT record is valid, but the policy host does not resolve, refuses the "
        "connection, or does not answer in time.",
        gettext_noop(
            "{domain} announces MTA-STS, but its policy host {policy_host} could not be reached: "
            "{reason}."
        ),
        gettext_noop(
            "Publish A/AAAA records for {policy_host} and serve the policy over HTTPS (port 443) "
            "at {policy_url}, or delete the TXT record at {txt_name} if {domain} should not use "
            "MTA-STS."
        ),
    ),
    CodeSpec(
        "ES006",
        Section.MTA_STS,
        Severity.WARNING,
        "The TXT record is valid, but the policy host's certificate is not PKIX-valid for "
        "mta-sts.<domain> (untrusted, expired, wrong name, TLS failure).",
        gettext_noop(
            "{domain} announces MTA-STS, but the HTTPS certificate of {policy_host} is not valid "
            "for that name: {reason}."
        ),
        gettext_noop(
            "Install on {policy_host} a certificate from a publicly trusted CA that names "
            "{policy_host} in its subject alternative names and is not expired, and serve its "
            "full chain."
        ),
    ),
    CodeSpec(
        "ES007",
        Section.MTA_STS,
        Severity.WARNING,
        "The TXT record is valid, but the policy URL answered a status other than 200 "
        "(404 included; redirects are not followed).",
        gettext_noop(
            "{domain} announces MTA-STS, but {policy_url} answered HTTP {status_code} instead of "
            "200{detail}; only a 200 answer is a policy, and redirects are not followed."
        ),
        gettext_noop(
            "Serve the policy at exactly {policy_url} with status 200 (no redirect), or delete "
            "the TXT record at {txt_name} if {domain} should not use MTA-STS."
        ),
    ),
    CodeSpec(
        "ES008",
        Section.MTA_STS,
        Severity.WARNING,
        "The policy body is larger than the size limit (64 KiB).",
        gettext_noop(
            "The MTA-STS policy of {domain} at {policy_url} is larger than {limit} bytes; senders "
            "stop reading at that size."
        ),
        gettext_noop(
            "Cut {policy_url} down to the policy lines (version, mode, mx, max_age); it must be "
            "smaller than {limit} bytes."
        ),
    ),
    CodeSpec(
        "ES009",
        Section.MTA_STS,
        Severity.WARNING,
        "The policy is served with a media type other than text/plain (or none).",
        gettext_noop(
            "The MTA-STS policy of {domain} at {policy_url} is served as {content_type}, not "
            "text/plain, so senders may reject it."
        ),
        gettext_noop(
            'Serve {policy_url} with the header "Content-Type: text/plain" (with charset=utf-8 '
            "if you give a charset)."
        ),
    ),
    CodeSpec(
        "ES010",
        Section.MTA_STS,
        Severity.WARNING,
        "The policy body is not valid RFC 8461 section 3.2 syntax (including max_age above "
        "31557600 and bodies that are not UTF-8).",
        gettext_noop(
            "The MTA-STS policy of {domain} at {policy_url} is not valid: {problem}. Strict "
            "senders ignore it; lenient ones apply the lines they can read (judged below)."
        ),
        gettext_noop(
            'Fix {policy_url} so that it has one "key: value" per line: "version: STSv1", '
            '"mode: enforce", "mode: testing" or "mode: none", one "mx:" line per MX host or '
            '"*." pattern, and "max_age:" in seconds from 0 to 31557600; then change the id of '
            "the TXT record at {txt_name}."
        ),
    ),
    CodeSpec(
        "ES011",
        Section.MTA_STS,
        Severity.WARNING,
        "The policy's mode is testing and no mx line matches the expected host.",
        gettext_noop(
            "The MTA-STS policy of {domain} is in testing mode and none of its mx lines "
            "({patterns}) matches {expected_host}; senders report this but still deliver."
            "{pitfall}"
        ),
        gettext_noop(
            'Add the line "mx: {suggested_pattern}" (or "mx: {expected_host}") to {policy_url} '
            "and change the id of the TXT record at {txt_name} (now {current_id}, for example to "
            '{new_id}) before you set "mode: enforce" again.'
        ),
    ),
    CodeSpec(
        "ES012",
        Section.MTA_STS,
        Severity.INFO,
        "The policy's mode is testing and an mx line matches the expected host.",
        gettext_noop(
            "The MTA-STS policy of {domain} lists {expected_host} and is in testing mode."
        ),
        gettext_noop(
            'Once the MX migration of {domain} is done, set "mode: enforce" in {policy_url} and '
            "change the id of the TXT record at {txt_name} (for example to {new_id})."
        ),
    ),
    # TLS-RPT (reported next to the sections; never changes a section's status).
    CodeSpec(
        "ET001",
        Section.TLS_RPT,
        Severity.INFO,
        "No TXT record at _smtp._tls looks like TLS-RPT (NXDOMAIN, NODATA or other TXT only).",
        gettext_noop(
            "{domain} publishes no TLS-RPT record at {txt_name}, so senders cannot report TLS "
            "failures (DANE, MTA-STS) for {domain}."
        ),
        gettext_noop('Publish a TXT record at {txt_name}: "v=TLSRPTv1; rua={rua_hint}".'),
    ),
    CodeSpec(
        "ET002",
        Section.TLS_RPT,
        Severity.WARNING,
        "A TXT record at _smtp._tls looks like TLS-RPT but is not exactly one valid "
        "v=TLSRPTv1 record with a mailto: or https: rua.",
        gettext_noop(
            "The TLS-RPT record at {txt_name} is not usable, so senders send no TLS reports for "
            "{domain}: {problem}."
        ),
        gettext_noop(
            'Publish exactly one TXT record at {txt_name} of the form "v=TLSRPTv1; '
            'rua={rua_hint}" (rua takes mailto: or https: URIs separated by commas).'
        ),
    ),
    CodeSpec(
        "ET003",
        Section.TLS_RPT,
        Severity.WARNING,
        "The _smtp._tls TXT lookup failed (SERVFAIL, timeout, REFUSED, unreadable, other error).",
        gettext_noop(
            "The TLS-RPT record of {domain} at {txt_name} could not be looked up: {reason}."
        ),
        gettext_noop(
            "Check that the name servers of {domain} answer TXT queries for {txt_name}, then run "
            "the check again."
        ),
    ),
    # Inbound keys: the provider's own inbound servers, found by the served-certificate probe
    # (dnsops.inbound.served); shown to operators, not in a tenant's status report.
    CodeSpec(
        "EK001",
        Section.INBOUND_KEYS,
        Severity.ERROR,
        "The chain an inbound address serves matches no TLSA record published for the DANE "
        "domains.",
        gettext_noop(
            "{address} serves {key}, which no published TLSA record matches: DANE senders "
            "cannot deliver mail through it."
        ),
        gettext_noop(
            "Deploy the current key's certificate on {address} again, or register the served "
            "certificate as next (register_inbound_certificate --state next) and wait for the "
            "rollover gate before serving it."
        ),
    ),
    CodeSpec(
        "EK002",
        Section.INBOUND_KEYS,
        Severity.ERROR,
        "The certificate an inbound address serves is past its not_after.",
        gettext_noop("The certificate {address} serves expired at {not_after}."),
        gettext_noop(
            "Renew it: register the new certificate as next, wait for promotion to be allowed, "
            "promote it and deploy it on {address}."
        ),
    ),
    CodeSpec(
        "EK003",
        Section.INBOUND_KEYS,
        Severity.WARNING,
        "The certificate an inbound address serves expires within DANE_INBOUND_EXPIRY_WARNING_"
        "DAYS days.",
        gettext_noop("The certificate {address} serves expires at {not_after} (in {days} days)."),
        gettext_noop(
            "Start the rollover now: register the renewed certificate as next; promotion is "
            "allowed 2 x the TLSA TTL plus the margin after every server shows it."
        ),
    ),
    CodeSpec(
        "EK004",
        Section.INBOUND_KEYS,
        Severity.WARNING,
        "A published issuing CA (2 1 1) expires within 30 days.",
        gettext_noop(
            "The issuing CA {issuer}, published as a 2 1 1 record, expires at {not_after}."
        ),
        gettext_noop(
            "Register the new issuing CA with --issuer --state next, and retire {issuer} once "
            "the servers present chains from the new one."
        ),
    ),
    CodeSpec(
        "EK005",
        Section.INBOUND_KEYS,
        Severity.ERROR,
        "A published issuing CA (2 1 1) is not in the chain an inbound address presents.",
        gettext_noop(
            "{address} does not present the issuing CA {issuer} whose 2 1 1 record is published."
        ),
        gettext_noop(
            "Serve the full chain (leaf and intermediate) on {address}, or retire {issuer} if "
            "the servers no longer use it."
        ),
    ),
    CodeSpec(
        "EK006",
        Section.INBOUND_KEYS,
        Severity.ERROR,
        "The probe got no certificate from an inbound address (no connection, no STARTTLS, "
        "a failed handshake).",
        gettext_noop("The probe could not read the certificate of {address}: {detail}."),
        gettext_noop(
            "Check that {address} accepts SMTP on the probe's port and offers STARTTLS with the "
            "current certificate."
        ),
    ),
)

#: Every code, by code.
CATALOGUE: dict[str, CodeSpec] = {spec.code: spec for spec in _SPECS}


def finding(code: str, **params: object) -> Finding:
    """The finding for ``code`` with its message and action filled from ``params``.

    Raises ``KeyError`` for an unknown code or a template field missing from ``params``.
    """
    spec = CATALOGUE[code]
    return Finding(
        code=code,
        severity=spec.severity,
        message=spec.message.format(**params),
        action=spec.action.format(**params),
        params=tuple(sorted((name, str(value)) for name, value in params.items())),
    )


def catalogue_markdown() -> str:
    """The catalogue as Markdown tables, one per section, as ``docs/status-codes.md`` has it."""
    lines: list[str] = []
    for section in Section:
        lines += [
            f"### {section.value}",
            "",
            "| code | severity | fires when | message | action |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {spec.code} | {spec.severity.value} | {spec.fires_when} | {spec.message} "
            f"| {spec.action} |"
            for spec in _SPECS
            if spec.section is section
        ]
        lines.append("")
    return "\n".join(lines)
