"""Use cases of official documents: draft, submit, approve or return, sign, issue (number, seal), registers.

Numbering (Decree 30/2020): a yearly sequence per records office, given only at issue. The records office
reads the next number, fills it into the leader-signed PDF and seals it, then records the number in one
transaction that locks the office's counter row and moves it only if nobody took that number meanwhile
(a compare-and-set; the unique constraint on office, year and number is the last guard). A seal that
fails, or a number that was taken, leaves the counter untouched: no gaps, no duplicates."""

from __future__ import annotations

from smartcity.documents.service.common import (  # noqa: F401
    DRAFTERS,
    EDITABLE,
    MAX_NUMBER_RACES,
    OFFICE_REFUSAL,
    OFFICE_UNITS,
    STATES,
    Signing,
)
from smartcity.documents.service.drafting_and_approval import (  # noqa: F401
    approve,
    create_draft,
    preview_pdf,
    return_draft,
    submit,
    update_draft,
)
from smartcity.documents.service.reading import (  # noqa: F401
    _read,
    document_pdf,
    get_document,
    history,
    issue_queue,
    list_documents,
    register,
    sign_queue,
)
from smartcity.documents.service.signers import (  # noqa: F401
    SIGNER_NO_LONGER,
    SIGNER_ROLE,
    WRONG_SIGNER,
    Signer,
    check_signer,
    may_sign,
    signers_for,
)
from smartcity.documents.service.signing_and_issue import (  # noqa: F401
    issue,
    next_number,
    sign,
    take_number,
)
