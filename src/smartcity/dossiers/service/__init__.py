"""Use cases of the dossiers domain: submission, actions, reads, lookup, attachments, documents, ratings."""

from __future__ import annotations

from smartcity.dossiers import summary  # noqa: F401  (keeps the summary counts with every flush)
from smartcity.dossiers.service.actions import act, assignee_choices, proposed_result  # noqa: F401
from smartcity.dossiers.service.attachments_and_documents import (  # noqa: F401
    add_attachments,
    attachment_content,
    document_pdf,
    register_rows,
)
from smartcity.dossiers.service.common import (  # noqa: F401
    CONSTRUCTION_PERMIT_PROCEDURE,
    HOUSE_NUMBER_PROCEDURE,
    STAFF_REFUSAL,
    STAFF_ROLES,
    STAFF_UNITS,
    Upload,
)
from smartcity.dossiers.service.helpers import (  # noqa: F401
    _next_code,
    _snapshot,
    calendar_for,
    resolve_units,
    validate_form,
)
from smartcity.dossiers.service.reads import (  # noqa: F401
    available_forms,
    count_awaiting,
    dossier_row,
    get_dossier,
    list_dossiers,
    lookup,
    step_due_dates,
    unit_names,
)
from smartcity.dossiers.service.submission import submit_dossier  # noqa: F401
from smartcity.dossiers.stats import statistics  # noqa: F401  (the one-stop shop's figures, for other domains)
