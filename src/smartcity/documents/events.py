"""Events the documents domain publishes: its public contract."""

from __future__ import annotations

from smartcity.core.events import Event, register_event


@register_event("documents.LeaderSigned")
class LeaderSigned(Event):
    """The leader signed an approved document; it waits for the records office to issue it."""

    document_id: int
    office_code: str
    signer: str


@register_event("documents.DocumentIssued")
class DocumentIssued(Event):
    """The records office numbered, sealed and registered a document."""

    document_id: int
    office_code: str
    number_symbol: str
    issued_on: str
    external_agencies: list[str]


@register_event("documents.DocumentReceived")
class DocumentReceived(Event):
    """A document from another agency was registered in the incoming register."""

    incoming_id: int
    office_code: str
    sender_code: str
    number_symbol: str


@register_event("documents.DeliveryAcknowledged")
class DeliveryAcknowledged(Event):
    """Another agency returned a signed receipt for a delivered document."""

    document_id: int
    agency_code: str
    envelope_id: str
