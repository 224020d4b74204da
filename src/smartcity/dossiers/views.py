"""Pages of the one-stop shop: submit, my dossiers, dossier detail with actions, lookup, pay, rate; staff
queues and statistics. Thin: parse the form, call the service, render or redirect."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from smartcity.accounts import service as accounts
from smartcity.city import service as city
from smartcity.core import clock, numbers
from smartcity.core.errors import AppError, BadRequest, TooManyRequests, ValidationFailed, as_text
from smartcity.core.i18n import Phrase, get_translations, in_language
from smartcity.core.security import Actor
from smartcity.dossiers import payments, ratings, service, signed_results, statistics_views
from smartcity.dossiers.forms import coerce, fields_of, submit_in_worker, uploads_of
from smartcity.dossiers.schemas import ApplicantIn, DossierCreate
from smartcity.dossiers.states import DONE, RETURNED, STATE_NAMES
from smartcity.dossiers.statistics_views import STATISTICS_ROLES
from smartcity.dossiers.workflow import FIXED_RULES, steps_of
from smartcity.procedures import service as procedures
from smartcity.web.deps import PageUserDep, get_db, get_settings, require_page_role, scoped_link
from smartcity.web.forms import fixable_by_the_user, notice, redirect_with_notice, refusal_sentence
from smartcity.web.templating import render, request_locale

router = APIRouter(include_in_schema=False)
router.include_router(statistics_views.router)
PUBLIC_LINKS = (
    {"label": "Tra cứu hồ sơ", "href": "/tra-cuu"},
    {"label": "Hồ sơ của tôi", "href": "/ho-so", "place": "personal"},
)
STAFF_LINKS = (
    scoped_link(
        "Hồ sơ cần xử lý", "/can-bo/ho-so", ("clerk", "specialist", "head", "leader"), service.STAFF_UNITS
    ),
    scoped_link("Thống kê hồ sơ", "/can-bo/thong-ke", ("head", "leader", "operator"), service.STAFF_UNITS),
)
# The queues and the statistics are the work of the units that handle dossiers (service.STAFF_UNITS): a
# school's head holds a role, but no dossier of the city's, and must not read the city's figures.
StaffPage = Annotated[
    Actor,
    Depends(
        require_page_role(*service.STAFF_ROLES, units=service.STAFF_UNITS, refusal=service.STAFF_REFUSAL)
    ),
]


def _ward_choices(
    request: Request, procedure: Any, locale: str = "vi"
) -> tuple[list[tuple[str, str]], tuple[str, ...]]:
    """The wards valid today, by code, each named as the ward it is ("Phường Phú Lợi"; "Phú Lợi Ward" in
    English), not by its people's committee: those open to choose as (code, name), and the names of those
    shown but closed. Where the chosen ward receives the dossier (`procedures.ward_receives`: a ward's own
    procedure, or one whose agency is no longer in office, as `service.resolve_units` routes it) a ward with
    no clerk to receive it is closed: its citizens see that it does not take the procedure online yet, and no
    dossier waits for nobody."""
    db = get_db(request)
    today = clock.today(get_settings(request))
    units = accounts.list_org_units(db, on=today)
    wards = [u for u in units if u.kind == "ward_committee" and u.admin_unit_code]
    ward_receives = procedures.ward_receives(procedure, {u.code for u in units})
    open_wards, closed = [], []
    for unit in wards:
        code = unit.admin_unit_code or ""
        name = _ward_name(code, today, locale) or in_language(unit.name, unit.name_en, locale)
        if not ward_receives or accounts.holders_of(db, role="clerk", org_unit_code=unit.code):
            open_wards.append((code, name))
        else:
            closed.append(name)
    return open_wards, tuple(closed)


def _own_details(request: Request, actor: Actor) -> dict[str, str]:
    """The applicant's fields filled in from the signed-in person's own account, to change if need be: the
    full name, the personal ID number the person gave on their page, the phone number (both read through
    accounts, which writes each read to the audit log) and the e-mail address. Only the applicant's: a field
    about someone else (the child, a parent) stays empty. Only a citizen's own form: staff (the
    administrator included) file for someone else."""
    if actor.user_id is None or any(role != "citizen" for role, _unit in actor.roles):
        return {}
    db = get_db(request)
    user = accounts.get_user(db, actor.user_id)
    phone = (
        accounts.get_user_phone(db, actor=actor, user_id=user.id, secret=db.settings.personal_keys)
        if user.phone_masked
        else None
    )
    citizen_id = (
        accounts.get_user_citizen_id(db, actor=actor, user_id=user.id, secret=db.settings.personal_keys)
        if user.citizen_id_masked
        else None
    )
    own = {
        "applicant_name": user.full_name,
        "applicant_id": citizen_id,
        "applicant_phone": phone,
        "applicant_email": user.email,
    }
    return {key: value for key, value in own.items() if value}


APPLICANT_LABELS = {
    "applicant_name": "Họ và tên",
    "applicant_id": "Số định danh cá nhân",
    "applicant_phone": "Số điện thoại",
    "applicant_email": "Thư điện tử",
    "applicant_address": "Địa chỉ",
    "ward_code": "Phường",
}
NOT_VALID = "Chưa hợp lệ."
ACTION_LABELS = {"reason": "Lý do", "assignee": "Người xử lý", "unit": "Đơn vị", "new_due_date": "Hạn mới"}
# A mistake in the applicant's details, by ApplicantIn's field: (the form's field, what is wrong). The list of
# mistakes puts the field's label (APPLICANT_LABELS) before the words, so they do not name it again.
APPLICANT_MISTAKES = {
    "name": ("applicant_name", "Cần từ 2 đến 200 ký tự."),
    "id_number": ("applicant_id", "Gồm đúng 12 chữ số."),
    "phone": ("applicant_phone", "Chưa đúng (ví dụ 0912345678)."),
    "email": ("applicant_email", "Chưa đúng (ví dụ ten@example.vn)."),
    "address": ("applicant_address", "Không quá 300 ký tự."),
}


def _submit_page(
    request: Request, code: str, *, values: dict[str, Any], errors: list[dict[str, Any]], status: int = 200
) -> HTMLResponse:
    procedure = procedures.get_procedure(get_db(request), code)
    locale = request_locale(request)
    words = get_translations(locale, "dossiers").gettext
    fields = fields_of(procedure.form_schema, *_ward_choices(request, procedure, locale))
    titles = {f.name: words(f.title) if f.title in OUR_FORM_TITLES else f.title for f in fields}
    labels = {
        **{key: words(label) for key, label in APPLICANT_LABELS.items()},
        **{f"form.{name}": title for name, title in titles.items()},
        **{f"attachments.{d.code}": d.name for d in procedure.required_documents},
    }
    # The platform's sentences in the page's language (one with a number in it, a Phrase, by its template).
    said = [{**e, "message": words(as_text(e["message"]))} for e in errors]
    return render(
        request,
        "dossiers/submit.html",
        {
            "p": procedure,
            "fields": fields,
            "titles": titles,
            "values": values,
            "errors": {e["field"]: e["message"] for e in said},
            "error_list": [{"label": labels.get(e["field"], ""), "message": e["message"]} for e in said],
            "idempotency_key": values.get("idempotency_key") or uuid.uuid4().hex,
            "counter": request.query_params.get("counter") == "1",
        },
        status_code=status,
    )


@router.get("/ho-so/nop/{code}", response_class=HTMLResponse)
def submit_form(request: Request, code: str, actor: PageUserDep) -> Response:
    """The e-form of a procedure, rendered from its JSON Schema, with one file input per document; the
    applicant's own details filled in from the account, except at the counter (a clerk files for another)."""
    counter = request.query_params.get("counter") == "1"
    return _submit_page(request, code, values={} if counter else _own_details(request, actor), errors=[])


@router.post("/ho-so/nop/{code}", response_class=HTMLResponse)
async def submit(request: Request, code: str, actor: PageUserDep) -> Response:
    """Submit the dossier; on a mistake the form comes back with each problem next to its field."""
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    procedure = await run_in_threadpool(procedures.get_procedure, get_db(request), code)
    channel = "counter" if values.get("channel") == "counter" else "online"
    try:
        applicant = ApplicantIn(
            name=values.get("applicant_name", ""),
            id_number=values.get("applicant_id") or None,
            phone=values.get("applicant_phone") or None,
            email=values.get("applicant_email") or None,
            address=values.get("applicant_address") or None,
        )
        data = DossierCreate(
            procedure_code=code,
            applicant=applicant,
            form=coerce(procedure.form_schema, values, "f_"),
            paper_documents=form.getlist("paper") if channel == "counter" else [],
        )
        uploads = await uploads_of(form)
        detail, _ = await submit_in_worker(
            request, actor, data, uploads, channel=channel, idempotency_key=values.get("idempotency_key")
        )
    except AppError as error:
        refused, status = (
            error.errors_for_people or [{"field": "", "message": refusal_sentence(error)}],
            error.status,
        )
        return await run_in_threadpool(
            lambda: _submit_page(request, code, values=values, errors=refused, status=status)
        )
    except ValueError as error:  # pydantic ValidationError of the applicant
        wrong = [str(e["loc"][0]) for e in error.errors()]  # type: ignore[attr-defined]
        problems = [
            {"field": field, "message": message}
            for field, message in (APPLICANT_MISTAKES.get(f, (f"applicant_{f}", NOT_VALID)) for f in wrong)
        ]
        problems += _form_mistakes(procedure, values)  # every mistake at once, not one group per try
        return await run_in_threadpool(
            lambda: _submit_page(request, code, values=values, errors=problems, status=422)
        )
    return RedirectResponse(f"/ho-so/{detail.code}", status_code=303)


def _form_mistakes(procedure: Any, values: dict[str, str]) -> list[dict[str, Any]]:
    """The e-form's own mistakes in the submitted values (none when it is filled rightly)."""
    try:
        service.validate_form(procedure, coerce(procedure.form_schema, values, "f_"))
    except ValidationFailed as error:
        return error.errors_for_people
    return []


def _list_page(
    request: Request,
    actor: Actor,
    *,
    page: int,
    cursor: str | None,
    size: int,
    context: dict[str, Any],
    **filters: Any,
) -> Response:
    """A page of dossiers by cursor (or page number for old links); a cursor from an old or altered link
    redirects to the list's first page."""
    try:
        result = service.list_dossiers(
            get_db(request),
            actor=actor,
            settings=get_settings(request),
            limit=size,
            offset=(page - 1) * size,
            cursor=cursor or None,
            locale=request_locale(request),
            **filters,
        )
    except ValidationFailed:
        return RedirectResponse(str(request.url.remove_query_params(["cursor", "page"])), status_code=303)
    return render(request, "dossiers/list.html", {"result": result, "page": page, **context})


@router.get("/ho-so", response_class=HTMLResponse)
def my_dossiers(
    request: Request,
    actor: PageUserDep,
    page: Annotated[int, Query(ge=1, le=10000)] = 1,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The citizen's own dossiers (staff: the dossiers of their units)."""
    context = {"title": "Hồ sơ của tôi", "queue": False, "filters": {}}
    return _list_page(request, actor, page=page, cursor=cursor, size=30, context=context)


@router.get("/can-bo/ho-so", response_class=HTMLResponse)
def staff_queue(
    request: Request,
    actor: StaffPage,
    queue: Annotated[bool, Query()] = True,
    deadline: Annotated[str | None, Query(pattern="^(within|due_soon|overdue|paused)?$")] = None,
    state: Annotated[str | None, Query(max_length=2)] = None,
    page: Annotated[int, Query(ge=1, le=10000)] = 1,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Queues per role and unit: the dossiers awaiting the caller, with due-date colours."""
    state_value = int(state) if state and state.isdigit() else None
    context = {
        "title": "Hồ sơ cần xử lý" if queue else "Hồ sơ của đơn vị",
        "queue": queue,
        "filters": {"deadline": deadline or "", "state": state_value},
        "states": STATE_NAMES,
        "staff": True,
        "may_see_statistics": any(actor.has_role_in(role, service.STAFF_UNITS) for role in STATISTICS_ROLES),
    }
    return _list_page(
        request,
        actor,
        page=page,
        cursor=cursor,
        size=50,
        context=context,
        queue=queue,
        deadline=deadline or None,
        state=state_value,
    )


@router.get("/ho-so/{code}", response_class=HTMLResponse)
def dossier_page(request: Request, code: str, actor: PageUserDep) -> Response:
    """The dossier: state, due dates, timeline, documents, the actions the caller may take, pay and rate."""
    db, settings = get_db(request), get_settings(request)
    detail = service.get_dossier(
        db, actor=actor, settings=settings, code=code, locale=request_locale(request)
    )
    procedure = procedures.get_procedure(db, detail.procedure_code)
    dossier = service.dossier_row(db, code)
    locale = request_locale(request)
    ward_names = _ward_names(detail.form, on=dossier.submitted_at or clock.now(), locale=locale)
    return render(
        request,
        "dossiers/detail.html",
        {
            "d": detail,
            "rules": FIXED_RULES,
            "steps": {s.key: s for s in steps_of(dossier)},
            "result_fields": fields_of(procedure.result_schema),
            "result_proposal": service.proposed_result(db, settings, code)
            if "process" in detail.actions
            else {},
            "form_rows": _form_rows(detail.form or {}, fields_of(procedure.form_schema), ward_names, locale),
            "document_names": {d.code: d.name for d in procedure.required_documents},
            "unit_titles": service.unit_names(db, dossier, locale),
            "is_applicant": actor.user_id == dossier.applicant_user_id,
            "payments": payments.payment_rows(db, code),
            "indicators": ratings.INDICATORS,
            "levels": ratings.LEVELS,
            "message": request.query_params.get("msg"),
            "refusal": notice(request),
            "signature": _result_signature(db, code),
            "documents": _downloadable(detail),
            "assignees": service.assignee_choices(db, code) if "assign" in detail.actions else [],
            "transfer_units": _transfer_units(db, settings, dossier.processing_unit)
            if "transfer" in detail.actions
            else [],
        },
    )


def _downloadable(detail: Any) -> list[str]:
    """The documents the dossier page links to: the result (and its copy from before signing) once it may
    be downloaded, i.e. decided and its fees paid."""
    return [
        kind
        for kind in detail.documents
        if kind not in ("result", "result_unsigned") or detail.state in (DONE, RETURNED)
    ]


def _transfer_units(db: Any, settings: Any, current: str | None) -> list[tuple[str, str]]:
    """The org units a dossier may be transferred to (valid today), as (code, name), by name."""
    units = accounts.list_org_units(db, on=clock.today(settings))
    return sorted(((u.code, u.name) for u in units if u.code != current), key=lambda unit: unit[1])


# Fields the demo and the counter record on every form, also where the procedure's schema does not ask them.
COMMON_FORM_TITLES = {"ward_code": "Phường", "request": "Nội dung đề nghị"}
OTHER_FORM_TITLE = "Thông tin khác"
OUR_FORM_TITLES = frozenset({*COMMON_FORM_TITLES.values(), OTHER_FORM_TITLE})


def _form_rows(
    form: dict[str, Any], fields: list[Any], ward_names: dict[str, str], locale: str = "vi"
) -> list[tuple[str, str]]:
    """The e-form as a person reads it: each field by its title, each value in words, in the page's language
    where the words are ours (a procedure's own field titles and choices are its published form's)."""
    words = get_translations(locale, "dossiers").gettext
    by_name = {f.name: f for f in fields}
    rows = []
    for name, value in form.items():
        field = by_name.get(name)
        title = field.title if field else COMMON_FORM_TITLES.get(name, OTHER_FORM_TITLE)
        if title in OUR_FORM_TITLES:  # our words, also where the catalogue's own schemas use them
            title = words(title)
        choices = dict(field.options) if field else {}
        if name == "ward_code":
            choices = {**choices, **ward_names}
        rows.append((title, _in_words(value, choices, field.kind if field else "", locale)))
    return rows


def _in_words(value: Any, choices: dict[str, str], kind: str, locale: str = "vi") -> str:
    if isinstance(value, list):
        return ", ".join(_in_words(item, choices, "", locale) for item in value)
    if isinstance(value, bool):
        return get_translations(locale, "dossiers").gettext("Có" if value else "Không")
    if isinstance(value, int | float):
        return numbers.number(value, None, locale)
    text = str(value)
    if kind == "date":
        try:
            return date.fromisoformat(text).strftime("%d/%m/%Y")
        except ValueError:
            return text
    return choices.get(text, text)


def _ward_name(code: str, on: date, locale: str = "vi") -> str | None:
    """The ward with this code on that day by its name ("Phường Phú Lợi"), in the page's language ("Phú Lợi
    Ward" in English); None for a code no ward had then."""
    name = city.unit_name_on(code, on) if code else None
    return city.name_in_english(name) if name and locale == "en" else name


def _ward_names(form: dict[str, Any] | None, *, on: Any, locale: str = "vi") -> dict[str, str]:
    """The ward named in the form, by its name on the dossier's date (the unit valid then), in the page's
    language ("Phú Lợi Ward" in English)."""
    code = str((form or {}).get("ward_code") or "")
    name = _ward_name(code, on.date(), locale)
    return {code: name} if name else {}


def _result_signature(db: Any, code: str) -> dict[str, Any]:
    """The signing outcome of the dossier's result, with the signers' names from their certificates."""
    from smartcity.signing import service as signing

    status = signed_results.signature_status(db, code)
    signers = []
    for serial in status.get("signers", []):
        try:
            certificate = signing.get_certificate(db, serial)
        except AppError:
            signers.append({"name": serial, "kind": ""})
        else:
            signers.append({"name": certificate.common_name, "kind": certificate.kind})
    local = urlsplit(str(status.get("verification_url") or "")).path  # this server's page, on any port
    return {**status, "signers": signers} | ({"verification_url": local} if local else {})


@router.post("/ho-so/{code}/hanh-dong/{action}")
async def dossier_action(request: Request, code: str, action: str, actor: PageUserDep) -> Response:
    """Take an action from the dossier page."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str) and v.strip()}
    return await run_in_threadpool(_act, request, actor, code, action, form)


def _act(request: Request, actor: Actor, code: str, action: str, form: dict[str, str]) -> Response:
    """The action taken, in a worker thread: its handlers run after its commit (signing the result calls
    asyncio.run, which cannot run inside the server's event loop). Back to the dossier, with the reason of a
    refusal the user can fix."""
    payload: dict[str, Any] = {
        k: form[k] for k in ("reason", "assignee", "unit", "new_due_date") if k in form
    }
    procedure = _procedure_of(request, code) if action == "process" else None
    if procedure is not None:
        payload["result"] = coerce(procedure.result_schema, form, "r_")
    db, settings = get_db(request), get_settings(request)
    try:
        service.act(db, actor=actor, settings=settings, code=code, action=action, payload=payload)
    except AppError as error:
        if not fixable_by_the_user(error):
            raise
        result_fields = fields_of((procedure or _procedure_of(request, code)).result_schema)
        labels = {**ACTION_LABELS, **{f"result.{f.name}": f.title for f in result_fields}}
        return redirect_with_notice(request, f"/ho-so/{code}", error=_labelled(error, labels))
    return RedirectResponse(f"/ho-so/{code}", status_code=303)


def _procedure_of(request: Request, code: str) -> Any:
    db = get_db(request)
    return procedures.get_procedure(db, service.dossier_row(db, code).procedure_code)


def _labelled(error: AppError, labels: dict[str, str]) -> str:
    """A refusal's Vietnamese field messages, each after its field's title; else its one sentence."""
    said = []
    for problem in error.errors_for_people:
        title = labels.get(str(problem.get("field")))
        message = Phrase.of(problem["message"])
        said.append(
            Phrase("{title}: {message}", title=Phrase.of(title), message=message) if title else message
        )
    return Phrase.joined(said) if said else refusal_sentence(error)


@router.post("/ho-so/{code}/thanh-toan")
def pay(request: Request, code: str, actor: PageUserDep) -> Response:
    """Start an online payment: to the (sandbox) gateway's page."""
    return_url = str(request.url_for("payment_return"))
    url = payments.start_payment(
        get_db(request),
        actor=actor,
        settings=get_settings(request),
        code=code,
        return_url=return_url,
    )
    return RedirectResponse(url, status_code=303)


@router.get("/thanh-toan/sandbox", response_class=HTMLResponse)
def sandbox_page(request: Request) -> HTMLResponse:
    """The MOCK gateway's hosted page (sandbox: no money moves)."""
    params = dict(request.query_params)
    valid = payments.provider_for(get_settings(request)).verify(params)
    amount = int(params.get("sc_Amount", "0") or 0) // 100 if valid else 0
    return render(request, "dossiers/sandbox.html", {"params": params, "valid": valid, "amount": amount})


@router.post("/thanh-toan/sandbox")
async def sandbox_decide(request: Request) -> Response:
    """The payer approves or cancels; the sandbox calls the server callback, then returns the browser."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    approve = form.pop("decision", "") == "approve"
    form.pop("csrf_token", None)
    settings = get_settings(request)
    answer = payments.sandbox_decision(settings, form, approve=approve)
    await run_in_threadpool(
        lambda: payments.settle_callback(get_db(request), settings=settings, params=answer, channel="ipn")
    )
    return RedirectResponse(f"{form['sc_ReturnUrl']}?{urlencode(answer)}", status_code=303)


@router.get("/ho-so-thanh-toan/ket-qua", name="payment_return")
def payment_return(request: Request) -> Response:
    """The browser back from the gateway: verify the signed answer, then show the dossier."""
    verdict = payments.handle_callback(
        get_db(request),
        settings=get_settings(request),
        params=dict(request.query_params),
        channel="return",
    )
    if verdict.subject is None:
        raise BadRequest(Phrase("Kết quả thanh toán không hợp lệ ({why}).", why=verdict.message))
    message = (
        "paid"
        if verdict.verdict in ("accepted", "duplicate") and verdict.response_code in ("00", "02")
        else "declined"
    )
    return RedirectResponse(f"/ho-so/{verdict.subject}?msg={message}", status_code=303)


@router.post("/ho-so/{code}/danh-gia")
async def rate(request: Request, code: str, actor: PageUserDep) -> Response:
    """The applicant's rating from the dossier page."""
    form = await request.form()
    from smartcity.dossiers.schemas import RatingIn

    indicators = {
        k[4:]: int(v) for k, v in form.items() if k.startswith("ind_") and isinstance(v, str) and v.isdigit()
    }
    overall = form.get("overall")
    if not isinstance(overall, str) or not overall.isdigit():
        raise ValidationFailed.for_field("overall", "chọn mức độ hài lòng")
    rating = RatingIn(
        overall=int(overall), indicators=indicators, comment=str(form.get("comment") or "")[:2000] or None
    )
    await run_in_threadpool(lambda: ratings.rate(get_db(request), actor=actor, code=code, rating=rating))
    return RedirectResponse(f"/ho-so/{code}?msg=rated", status_code=303)


@router.get("/tra-cuu", response_class=HTMLResponse)
def lookup_form(request: Request, code: Annotated[str, Query(max_length=80)] = "") -> HTMLResponse:
    """Public lookup form (the QR code of the receipt brings the dossier code)."""
    return render(request, "dossiers/lookup.html", {"code": code, "result": None, "error": None})


@router.post("/tra-cuu", response_class=HTMLResponse)
async def lookup(request: Request) -> HTMLResponse:
    """Public lookup: state, timeline and due date; never personal data."""
    form = await request.form()
    code, factor = str(form.get("code") or "").strip(), str(form.get("second_factor") or "").strip()
    if not code or not factor:
        missing = "Vui lòng nhập mã hồ sơ và số CCCD hoặc số điện thoại của người nộp."
        return render(
            request, "dossiers/lookup.html", {"code": code, "result": None, "error": missing}, status_code=422
        )
    try:
        client, locale = request.client.host if request.client else "unknown", request_locale(request)
        result = await run_in_threadpool(
            lambda: service.lookup(
                get_db(request),
                settings=get_settings(request),
                code=code,
                second_factor=factor,
                locale=locale,
                client=client,
            )
        )
    except TooManyRequests:
        raise
    except AppError:
        return render(
            request,
            "dossiers/lookup.html",
            {"code": code, "result": None, "error": "Không tìm thấy hồ sơ với mã và thông tin xác minh này."},
            status_code=404,
        )
    return render(request, "dossiers/lookup.html", {"code": code, "result": result, "error": None})
