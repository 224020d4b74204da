"""Use cases of the education domain, by capability: schools and classes, students, fees and payments,
receipts, assets, timetables, imports and the department's overview."""

from __future__ import annotations

from smartcity.education.service.assets import (  # noqa: F401
    add_asset,
    depreciation,
    depreciation_classes,
    get_asset,
    list_assets,
    movements,
    register_totals,
    transfer_asset,
    write_off,
)
from smartcity.education.service.attendance import (  # noqa: F401
    attendance_rate,
    class_attendance,
    classes_marked_today,
    count_unmarked_classes,
    record_attendance,
    school_day_started,
    student_attendance,
)
from smartcity.education.service.common import (  # noqa: F401
    ATTENDANCE,
    CLASS_NORMS,
    LEVELS,
    MODES,
    NORM_BASIS,
    STAFF_ROLES,
    class_norm,
    dmy,
    is_department,
    reference,
)
from smartcity.education.service.fees import (  # noqa: F401
    fee_rates,
    fee_types,
    get_invoice,
    invoice_lines,
    invoice_student_code,
    issue_invoices,
    list_invoices,
    record_counter_payment,
    student_invoices,
)
from smartcity.education.service.imports import (  # noqa: F401
    asset_template,
    import_assets,
    import_students,
    student_template,
)
from smartcity.education.service.overview import (  # noqa: F401
    class_stats,
    fee_rate_legend,
    overview,
    percent,
    school_figures,
    schools_geojson,
    totals,
    totals_by_level,
)
from smartcity.education.service.payments import (  # noqa: F401
    handle_callback,
    start_online_payment,
)
from smartcity.education.service.receipts import receipt_pdf  # noqa: F401
from smartcity.education.service.reconciliation import (  # noqa: F401
    arrears,
    close_month,
    collection_by_month,
    count_in_arrears,
    reconciliation,
)
from smartcity.education.service.schools import (  # noqa: F401
    add_staff,
    class_with_school,
    create_class,
    current_year,
    ensure_year,
    get_school,
    list_classes,
    list_schools,
    list_staff,
    my_schools,
    on_school_staff,
    require_on_staff,
    school_org_unit,
    upsert_school,
)
from smartcity.education.service.stocktakes import (  # noqa: F401
    close_stocktake,
    count_item,
    count_items,
    count_open_stocktakes,
    get_stocktake,
    open_stocktake,
    stocktakes,
)
from smartcity.education.service.students import (  # noqa: F401
    categories,
    children_of,
    class_students,
    enrol_student,
    find_by_personal_id,
    get_student,
    grant_exemption,
    link_guardian,
    next_class_name,
    promote,
    transfer_student,
    transfer_targets,
)
from smartcity.education.service.timetable import (  # noqa: F401
    class_timetable,
    mode_of,
    set_slot,
    student_timetable,
    timetable_grid,
)
