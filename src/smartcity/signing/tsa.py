"""RFC 3161 timestamp authority: serves HTTP requests and timestamps in-process signatures."""

from __future__ import annotations

from datetime import datetime

from asn1crypto import core, tsp
from pyhanko.sign.timestamps import DummyTimeStamper

from smartcity.core.db import utcnow

# A UUID-based OID (ITU-T X.667, arc 2.25) naming the city TSA's timestamping policy.
TSA_POLICY_OID = "2.25.191338466710362305394466735519734432337"
ACCEPTED_DIGESTS = {"sha256", "sha384", "sha512"}


class CityTimeStamper(DummyTimeStamper):
    """The city's TSA: a pyHanko timestamper that signs tokens itself, in UTC, under the city policy."""

    def _build_tst_info(
        self, message_imprint: tsp.MessageImprint, dt: datetime, req: tsp.TimeStampReq
    ) -> tsp.TSTInfo:
        info = super()._build_tst_info(message_imprint, utcnow(), req)
        info["policy"] = tsp.ObjectIdentifier(TSA_POLICY_OID)
        info["accuracy"] = tsp.Accuracy({"seconds": 1})
        return info


def rejection(fail_info: str, text: str) -> bytes:
    """A DER TimeStampResp refusing the request (RFC 3161 §2.4.2)."""
    status = tsp.PKIStatusInfo(
        {
            "status": tsp.PKIStatus("rejection"),
            "status_string": [text],
            "fail_info": tsp.PKIFailureInfo({fail_info}),
        }
    )
    return _StatusOnlyResp({"status": status}).dump()


class _StatusOnlyResp(core.Sequence):
    """TimeStampResp without a token (asn1crypto's class insists on one)."""

    _fields = [("status", tsp.PKIStatusInfo)]


def answer_request(stamper: CityTimeStamper, body: bytes) -> bytes:
    """Answer a DER TimeStampReq: a granted token, or a rejection saying what was wrong."""
    try:
        request = tsp.TimeStampReq.load(body)
        _ = request.native  # parse everything now: asn1crypto is lazy
        algorithm = request["message_imprint"]["hash_algorithm"]["algorithm"].native
        digest = request["message_imprint"]["hashed_message"].native
        _ = request["nonce"].native
    except Exception:  # a request that does not parse is refused, never a server error
        return rejection("bad_data_format", "The request is not a DER TimeStampReq")
    if algorithm not in ACCEPTED_DIGESTS:
        return rejection("bad_alg", f"Digest algorithm {algorithm} is not accepted")
    if (
        not isinstance(digest, bytes)
        or len(digest) * 8 != {"sha256": 256, "sha384": 384, "sha512": 512}[algorithm]
    ):
        return rejection("bad_data_format", "The message imprint has the wrong length")
    if request["req_policy"].native not in (None, TSA_POLICY_OID):
        return rejection("unaccepted_policy", "Only the city TSA policy is offered")
    return stamper.request_tsa_response(request).dump()
