"""Bodies of the authentication routes."""

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field

Email = Annotated[EmailStr, AfterValidator(str.lower)]
# Long enough to resist guessing, short enough that hashing it cannot be abused.
Password = Annotated[str, Field(min_length=8, max_length=128)]


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
