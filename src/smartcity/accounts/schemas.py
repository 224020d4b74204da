"""Pydantic models of the accounts domain (what the API and the service exchange)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from smartcity.core.pages import Page
from smartcity.core.security import ROLE_SLUGS


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class RoleRead(_Read):
    """A role and its names."""

    slug: str
    name_vi: str
    name_en: str


class RoleAssignmentCreate(_Strict):
    """Give a user a role, in one org unit or (unit omitted) in the whole city."""

    role: str = Field(description=f"One of {', '.join(ROLE_SLUGS)}")
    org_unit_code: str | None = None


class RoleAssignmentRead(_Read):
    """A role a user holds, and where."""

    id: int
    user_id: int
    role: str
    org_unit_code: str | None = None


class UserBase(_Strict):
    """Fields of a user that people edit."""

    full_name: str = Field(default="", max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=20)
    citizen_id: str | None = Field(default=None, max_length=20, description="Số định danh cá nhân (12 số)")
    locale: str = Field(default="vi", pattern="^(vi|en)$")


class UserCreate(UserBase):
    """A new user, with a password and optionally roles."""

    username: str = Field(min_length=3, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    roles: list[RoleAssignmentCreate] = Field(default_factory=list)


class UserUpdate(_Strict):
    """Changes to a user; omitted fields stay as they are."""

    full_name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=20)
    citizen_id: str | None = Field(default=None, max_length=20, description="Số định danh cá nhân (12 số)")
    locale: str | None = Field(default=None, pattern="^(vi|en)$")
    is_active: bool | None = None


class PasswordChange(_Strict):
    """A new password for a user."""

    password: str = Field(min_length=1, max_length=1024)


class UserRead(_Read):
    """A user as shown to administrators (phone masked, never the password hash)."""

    id: int
    username: str
    full_name: str
    email: str | None = None
    phone_masked: str | None = None
    citizen_id_masked: str | None = None
    is_active: bool
    locale: str
    created_at: datetime
    updated_at: datetime
    roles: list[RoleAssignmentRead] = Field(default_factory=list)


UserPage = Page[UserRead]


class OrgUnitRead(_Read):
    """An org unit of the city government."""

    code: str
    name: str
    name_en: str | None = None
    kind: str
    parent_code: str | None = None
    admin_unit_code: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    active: bool


class ApiKeyCreate(_Strict):
    """A new API key: a name saying who uses it, its role and optional org unit."""

    name: str = Field(min_length=1, max_length=200)
    role: str = "integrator"
    org_unit_code: str | None = None


class ApiKeyRead(_Read):
    """An API key as listed: its prefix, never its secret."""

    id: int
    name: str
    prefix: str
    role: str
    org_unit_code: str | None = None
    created_by: str
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class ApiKeyCreated(ApiKeyRead):
    """A newly created API key with its full value, shown this once."""

    key: str


class TokenResponse(BaseModel):
    """The OAuth2 access-token response."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth2 token type, not a secret)
    expires_in: int


class RoleHeld(BaseModel):
    """A role the caller holds, and where (None = the whole city)."""

    role: str
    org_unit_code: str | None = None


class Me(BaseModel):
    """Who the caller is."""

    kind: str
    name: str
    user_id: int | None = None
    full_name: str | None = None
    roles: list[RoleHeld]
    csrf_token: str | None = Field(default=None, description="With a web session: send as X-CSRF-Token")
