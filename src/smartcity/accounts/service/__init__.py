"""Use cases of the accounts domain: users, roles, org units, passwords, tokens, API keys, throttling."""

from __future__ import annotations

from smartcity.accounts.schemas import OrgUnitRead as OrgUnitRead
from smartcity.accounts.service.api_keys import (  # noqa: F401
    actor_from_api_key,
    create_api_key,
    list_api_keys,
    revoke_api_key,
)
from smartcity.accounts.service.bearer_tokens import (  # noqa: F401
    WEB_SESSION_LIFETIME,
    UserView,
    actor_for_web_session,
    actor_from_token,
    actor_if_current,
    end_web_session,
    issue_token,
    login_for_token,
    purge_web_sessions,
    session_user,
    start_web_session,
)
from smartcity.accounts.service.common import (  # noqa: F401
    API_KEY_PATTERN,
    EMAIL_PATTERN,
    LAST_USED_RESOLUTION,
    MIN_PASSWORD_LENGTH,
    PHONE_PATTERN,
    ROLE_NAMES,
    ROLE_ORDER,
    STAFF_ROLES,
    TOKEN_SALT,
    USERNAME_PATTERN,
    WRONG_CREDENTIALS,
    log,
)
from smartcity.accounts.service.helpers import (  # noqa: F401
    _dummy_hash,
    ensure_roles,
    hash_password,
    normalise_username,
    seed_roles,
)
from smartcity.accounts.service.login_and_throttling import Authenticated, authenticate  # noqa: F401
from smartcity.accounts.service.org_units import get_org_unit, list_org_units, upsert_org_units  # noqa: F401
from smartcity.accounts.service.roles import assign_role, list_roles, revoke_role, role_name  # noqa: F401
from smartcity.accounts.service.users import (  # noqa: F401
    actor_for_user,
    create_user,
    deactivate_user,
    ensure_admin,
    get_user,
    get_user_by_username,
    get_user_phone,
    list_users,
    set_password,
    update_user,
)
