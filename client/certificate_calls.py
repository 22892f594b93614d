"""The facade's calls of hourly granular certificates (:mod:`chaincode.community.certificates`):
the operator issues a household's certificates of a day, a household lists and cancels
its own and discloses one it produced, and anyone audits a disclosed certificate."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from gridspec.certificates import producer_of

__all__ = ["CertificateCalls"]


class CertificateCalls:
    """Certificates of local solar, through the facade's checked `call`."""

    call: Callable[..., Any]
    _own_household: Callable[..., None]

    def issue_certificates(self, household_id: str, day: str) -> Any:
        return self.call("IssueCertificates", household_id, day)

    def cancel_certificates(self, day: str) -> Any:
        """Cancel what the signed-in household holds of each hour of *day* against its
        consumption: its proof of the local solar it used."""
        return self.call("CancelCertificates", day)

    def certificates(self, start: str, end: str) -> Any:
        """The signed-in household's certificates of the days [start, end)."""
        return self.call("ListCertificates", start, end)

    def disclose_certificate(self, certificate_id: str) -> Any:
        """A certificate as issued: a household's own only (refused before the network)."""
        try:
            producer = producer_of(certificate_id)
        except ValueError:
            producer = None  # the chaincode refuses it with its reason
        if producer is not None:
            self._own_household(producer, "DiscloseCertificate", "certificates")
        return self.call("DiscloseCertificate", certificate_id)

    def audit_certificate(
        self, certificate: Mapping[str, Any], readings: Sequence[Mapping[str, Any]]
    ) -> Any:
        """Whether a disclosed certificate is the one issued and its readings prove it."""
        audit = {"certificate": dict(certificate), "readings": [dict(r) for r in readings]}
        return self.call("AuditCertificate", json.dumps(audit))
