"""Bodies of the authentication routes."""

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    TypeAdapter,
    ValidationError,
)

# An address as email-validator normalises it (Unicode domain, NFC), then lower-cased:
# what registration stores, and what login and the CLI look up.
Email = Annotated[EmailStr, AfterValidator(str.lower)]
EMAIL: TypeAdapter[str] = TypeAdapter(Email)
# Long enough to resist guessing, short enough that hashing it cannot be abused.
Password = Annotated[str, Field(min_length=8, max_length=128)]


def normalized_email(text: str) -> str | None:
    """The address as registration would store it, or None for text that is no address."""
    try:
        return EMAIL.validate_python(text)
    except ValidationError:
        return None


class Registration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: Password


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=4096)


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (a token type, not a secret)
    expires_in: int = Field(description="Seconds until the access token expires.")
