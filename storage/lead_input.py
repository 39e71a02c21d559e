"""The shape of an MQL as marketing automation sends it, validated field by field."""

import json
from typing import Annotated, Any

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    ValidationError,
    field_validator,
)

from storage.untrusted import Text, json_problem

MAX_BATCH = 500
MAX_CUSTOM_FIELDS_BYTES = 16_384
MAX_URL_LENGTH = 2000  # leads.crm_url's column

ShortText = Annotated[Text, Field(min_length=1, max_length=200)]


class LeadIn(BaseModel):
    # NaN and infinities are refused everywhere (PostgreSQL would refuse them in JSON).
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)

    email: EmailStr = Field(max_length=320)
    external_id: ShortText | None = None
    first_name: ShortText | None = None
    last_name: ShortText | None = None
    company: Annotated[Text, Field(min_length=1, max_length=300)] | None = None
    title: Annotated[Text, Field(min_length=1, max_length=300)] | None = None
    industry: ShortText | None = None
    employees: Annotated[int, Field(ge=0, le=10_000_000)] | None = None
    country: Annotated[Text, Field(min_length=1, max_length=100)] | None = None
    source: ShortText | None = None
    score: Annotated[float, Field(ge=-1_000_000, le=1_000_000)] | None = None
    reason: Annotated[Text, Field(min_length=1, max_length=1000)] | None = None
    crm_url: AnyHttpUrl | None = None
    fields: dict[str, Any] = Field(default_factory=dict)

    @field_validator("crm_url")
    @classmethod
    def _storable_url(cls, value: AnyHttpUrl | None) -> AnyHttpUrl | None:
        if value is None:
            return None
        if value.username or value.password:
            raise ValueError("must not carry a user name or password")
        if len(str(value)) > MAX_URL_LENGTH:
            raise ValueError(f"must be at most {MAX_URL_LENGTH} characters")
        return value

    @field_validator("email")
    @classmethod
    def _lowercase(cls, value: str) -> str:
        # Addresses are matched case-insensitively everywhere (dedup, /leadfeedback lead).
        return value.lower()

    @field_validator("fields")
    @classmethod
    def _small_fields(cls, value: dict[str, Any]) -> dict[str, Any]:
        problem = json_problem(value)
        if problem:
            raise ValueError(problem)
        if len(json.dumps(value, default=str)) > MAX_CUSTOM_FIELDS_BYTES:
            raise ValueError(f"must be at most {MAX_CUSTOM_FIELDS_BYTES} bytes as JSON")
        return value

    def to_columns(self) -> dict[str, Any]:
        data = self.model_dump()
        data["crm_url"] = str(self.crm_url) if self.crm_url else None
        return data


class FieldError(BaseModel):
    field: str
    message: str
    index: int | None = None


def field_errors(exc: ValidationError, index: int | None = None) -> list[FieldError]:
    errors = []
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"]) or "(body)"
        kind = error["type"]
        if kind == "missing":
            message = "is required"
        elif kind == "extra_forbidden":
            message = "is not a lead field; put custom data in `fields`"
        else:
            message = error["msg"].removeprefix("Value error, ")
        errors.append(FieldError(field=field, message=message, index=index))
    return errors


def parse_leads(items: list[Any]) -> tuple[list[LeadIn], list[FieldError]]:
    """Validate every lead; the caller rejects the whole batch if any error comes back."""
    leads: list[LeadIn] = []
    errors: list[FieldError] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append(FieldError(field="(lead)", message="must be a JSON object", index=index))
            continue
        try:
            leads.append(LeadIn.model_validate(item))
        except ValidationError as exc:
            errors.extend(field_errors(exc, index))
    return leads, errors


def unwrap_intake_body(data: Any) -> tuple[list[Any], bool] | FieldError:
    """One lead object or {"leads": [...]}: the items and whether it was a batch."""
    if isinstance(data, dict) and "leads" in data:
        extra = sorted(set(data) - {"leads"})
        if extra:
            return FieldError(field=extra[0], message="a batch holds only `leads`")
        items = data["leads"]
        if not isinstance(items, list):
            return FieldError(field="leads", message="must be a list of lead objects")
        if not items:
            return FieldError(field="leads", message="must hold at least one lead")
        if len(items) > MAX_BATCH:
            return FieldError(
                field="leads", message=f"holds {len(items)} leads; the limit is {MAX_BATCH}"
            )
        return items, True
    if isinstance(data, dict):
        return [data], False
    return FieldError(field="(body)", message='must be a lead object or {"leads": [...]}')
