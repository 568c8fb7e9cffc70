"""A tenant: one customer's account at the vendors, with everything of its own.

The default tenant (`Tenant()`, name None) is the one-tenant deployment of earlier versions: its
settings come from the environment variables documented in INTERFACE.md (`LOG_ASSETS_HOME`,
`LOG_ASSETS_DATABASE_URL`, `LOG_ASSETS_STORAGE_URL`, `FORCEPOINT_API_TOKEN`, ...), its asset keys have
no prefix and its Iceberg catalog is `log_assets`.

A named tenant `acme` has keys `acme/forcepoint/<type>`, ..., the catalog `log_assets_acme`, its own
home (by default `$LOG_ASSETS_HOME/tenants/acme`), and its state rows, quota counters and locks
apart from any other tenant's even in one shared database (`state_prefix`).

A Tenant holds names of variables, never their values: secrets are read from the environment when
a run needs them (`secret`), so a Tenant can be shown, logged and kept in definitions.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
# The variable names of the default tenant (today's environment).
HOME_ENV = "LOG_ASSETS_HOME"
DATABASE_URL_ENV = "LOG_ASSETS_DATABASE_URL"
STORAGE_URL_ENV = "LOG_ASSETS_STORAGE_URL"
DEFAULT_HOME = "./data"
TENANTS_FOLDER = "tenants"
DEFAULT_CATALOG = "log_assets"


class TenantConfigError(ValueError):
    """A tenant's settings cannot be used (a bad name, a variable name that is not one)."""


_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


# Names a tenant cannot take: the default tenant's value of the Aperture drain's tag is "true".
RESERVED_NAMES = frozenset({"true", "default"})


def check_name(name: str | None) -> str | None:
    if name is None:
        return None
    if not NAME_PATTERN.match(name):
        raise TenantConfigError(
            f"tenant name {name!r}: use 1 to 32 lower-case letters, digits or '_', starting with a letter "
            "(it becomes part of asset keys, job names and the Iceberg catalog's name)"
        )
    if name in RESERVED_NAMES:
        raise TenantConfigError(
            f"tenant name {name!r} is reserved (the default tenant's tag value, or its word): choose another"
        )
    return name


def check_env_name(what: str, name: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """A `*_env` setting must be the NAME of a variable: a value that looks like a secret is refused
    without being repeated. So is the VALUE of a variable given where its name belongs (a template
    such as `token_env: "{{ env.ACME_TOKEN }}"` resolves to the token itself): a name that is not set
    while some variable holds it as its value."""
    if name is None:
        return None
    if not _ENV_NAME.match(name):
        raise TenantConfigError(
            f"{what} must name an environment variable (letters, digits and '_'), not hold a value: the "
            "value given is not shown, in case it is a secret"
        )
    env = os.environ if environ is None else environ
    if name not in env:
        holders = sorted(k for k, v in env.items() if v == name)
        if holders:
            raise TenantConfigError(
                f"{what} holds the value of the variable {holders[0]}, not a variable's name (a template such "
                f"as {{{{ env.{holders[0]} }}}} in a *_env attribute?): write the name, {what}: {holders[0]}. "
                "The value is not shown"
            )
    return name


RESPONSE_FORMATS = ("json", "csv")


def _check_count(what: str, value: int | None, least: int) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < least):
        raise TenantConfigError(f"{what} must be a whole number of at least {least}, not {value!r}")


@dataclass(frozen=True)
class ForcepointAccess:
    """Where a tenant's Forcepoint Log Export API is, which variables hold its credentials, and its
    deployment settings. A setting left None means, for the default tenant, its environment variable
    (FORCEPOINT_DAILY_BUDGET, FORCEPOINT_BUDGET_RESERVE, FORCEPOINT_CV, FORCEPOINT_RESPONSE_FORMAT,
    FORCEPOINT_CA_BUNDLE, FORCEPOINT_ALLOW_INSECURE_HTTP) and then the package's default; for a named
    tenant the package's default alone. `allow_insecure_http`: plain http to a non-loopback host (http
    to loopback is always allowed)."""

    api_url: str | None = None  # None: $FORCEPOINT_API_URL, else the vendor's default
    token_env: str | None = "FORCEPOINT_API_TOKEN"
    username_env: str | None = "FORCEPOINT_USERNAME"
    password_env: str | None = "FORCEPOINT_PASSWORD"
    log_types: tuple[str, ...] | None = None  # None: every type of the catalog
    daily_budget: int | None = None  # requests per log type per UTC day
    reserve: int | None = None  # requests per log type per day left for other tools
    cv: str | None = None  # the collector version sent
    response_format: str | None = None  # json or csv
    ca_bundle: str | None = None  # CA bundle path for TLS verification
    allow_insecure_http: bool | None = None
    partitions_start: str | None = None  # the first partition (LOG_ASSETS_START_DATE)
    open_day_cron: str | None = None  # FORCEPOINT_OPEN_DAY_CRON
    close_day_cron: str | None = None  # FORCEPOINT_CLOSE_DAY_CRON

    def __post_init__(self) -> None:
        for what in ("token_env", "username_env", "password_env"):
            check_env_name(what, getattr(self, what))
        _check_flag("forcepoint.allow_insecure_http", self.allow_insecure_http)
        _check_day("forcepoint.partitions_start", self.partitions_start)
        for what in ("open_day_cron", "close_day_cron"):
            _check_cron(f"forcepoint.{what}", getattr(self, what))
        _check_count("forcepoint.daily_budget", self.daily_budget, 1)
        _check_count("forcepoint.reserve", self.reserve, 0)
        if self.daily_budget is not None and self.reserve is not None and self.reserve >= self.daily_budget:
            raise TenantConfigError(
                f"forcepoint.reserve {self.reserve} must be below its daily_budget {self.daily_budget} (the "
                "reserve is what is left of the budget for other tools)"
            )
        if self.response_format is not None and self.response_format.lower() not in RESPONSE_FORMATS:
            raise TenantConfigError(
                f"forcepoint.response_format {self.response_format!r}: use {' or '.join(RESPONSE_FORMATS)}"
            )
        if self.cv is not None and not re.match(r"^[0-9]+(\.[0-9]+)*$", self.cv):
            raise TenantConfigError(f"forcepoint.cv {self.cv!r}: a collector version such as 1.1.5")


@dataclass(frozen=True)
class ApertureAccess:
    """Where a tenant's Aperture Log Events API is, which variables hold its client credentials, and
    its TLS settings. `ca_bundle` / `allow_insecure_http` left None mean, for the default tenant,
    APERTURE_CA_BUNDLE / APERTURE_ALLOW_INSECURE_HTTP and then the defaults (the system's CAs, no plain
    http but to loopback); for a named tenant the defaults alone."""

    api_url: str | None = None  # None: $APERTURE_API_URL, else the US host
    client_id_env: str = "APERTURE_CLIENT_ID"
    client_secret_env: str = "APERTURE_CLIENT_SECRET"
    log_types: tuple[str, ...] | None = None  # None: all five
    ca_bundle: str | None = None
    allow_insecure_http: bool | None = None
    partitions_start: str | None = None  # the first partition (APERTURE_PARTITIONS_START)
    drain_max_age_minutes: float | None = None  # APERTURE_DRAIN_MAX_AGE_MINUTES

    def __post_init__(self) -> None:
        for what in ("client_id_env", "client_secret_env"):
            check_env_name(what, getattr(self, what))
        _check_flag("aperture.allow_insecure_http", self.allow_insecure_http)
        _check_day("aperture.partitions_start", self.partitions_start)
        if self.drain_max_age_minutes is not None and not (
            isinstance(self.drain_max_age_minutes, int | float) and self.drain_max_age_minutes > 0
        ):
            raise TenantConfigError(
                f"aperture.drain_max_age_minutes {self.drain_max_age_minutes!r}: a number of minutes above 0"
            )


def _check_flag(what: str, value: object) -> None:
    """A yes/no setting must be one: the text "false" is not False (bool("false") is True)."""
    if value is not None and not isinstance(value, bool):
        raise TenantConfigError(f"{what} {value!r}: true or false")


def _check_day(what: str, value: str | None) -> None:
    if value is None:
        return
    from datetime import date

    try:
        date.fromisoformat(str(value))
    except ValueError:
        raise TenantConfigError(f"{what} {value!r}: a UTC day, YYYY-MM-DD") from None


def _check_cron(what: str, value: str | None) -> None:
    if value is not None and len(str(value).split()) != 5:
        raise TenantConfigError(f"{what} {value!r}: a cron schedule of five fields (minute hour day month dow)")


# The standard variables an S3 client reads (the default tenant's, and any tenant's unset ones).
AWS_ACCESS_KEY_ID_ENV = "AWS_ACCESS_KEY_ID"
AWS_SECRET_ACCESS_KEY_ENV = "AWS_SECRET_ACCESS_KEY"
AWS_SESSION_TOKEN_ENV = "AWS_SESSION_TOKEN"


@dataclass(frozen=True)
class S3Access:
    """How a tenant reaches an `s3://` storage root. `endpoint_url` / `region` None: the standard
    variables (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL; AWS_REGION or AWS_DEFAULT_REGION; else
    us-east-1). The credentials are NAMED variables, read when a run starts and never stored: with
    none named, the standard ones (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, else
    the SDK's default chain); with `access_key_id_env` and `secret_access_key_env` named, those two
    and `session_token_env` if named, never the standard ones."""

    endpoint_url: str | None = None
    region: str | None = None
    access_key_id_env: str | None = None
    secret_access_key_env: str | None = None
    session_token_env: str | None = None

    def __post_init__(self) -> None:
        for what in ("access_key_id_env", "secret_access_key_env", "session_token_env"):
            check_env_name(f"s3.{what}", getattr(self, what))
        if bool(self.access_key_id_env) != bool(self.secret_access_key_env):
            raise TenantConfigError("s3: give access_key_id_env and secret_access_key_env together")
        if self.session_token_env and not self.access_key_id_env:
            raise TenantConfigError(
                "s3.session_token_env needs access_key_id_env and secret_access_key_env (the token's key pair)"
            )

    @property
    def names_credentials(self) -> bool:
        return bool(self.access_key_id_env)

    @property
    def credential_variables(self) -> tuple[str, str, str | None]:
        """The variables holding the access key id, the secret key and the session token."""
        if self.names_credentials:
            assert self.access_key_id_env and self.secret_access_key_env
            return self.access_key_id_env, self.secret_access_key_env, self.session_token_env
        return AWS_ACCESS_KEY_ID_ENV, AWS_SECRET_ACCESS_KEY_ENV, AWS_SESSION_TOKEN_ENV


_DEFAULT_FORCEPOINT_NAMES = ("FORCEPOINT_API_TOKEN", "FORCEPOINT_USERNAME", "FORCEPOINT_PASSWORD")
_DEFAULT_APERTURE_NAMES = ("APERTURE_CLIENT_ID", "APERTURE_CLIENT_SECRET")


def own_variable(name: str | None, variable: str) -> str:
    """A named tenant's variable of the same meaning as a default tenant's: ACME_FORCEPOINT_API_TOKEN."""
    return variable if name is None else f"{name.upper()}_{variable}"


@dataclass(frozen=True)
class Tenant:
    """One tenant's settings (see the module's docstring). `home`, `storage_url`: None means the
    default (for the default tenant, the environment's; for a named one, its folder under
    $LOG_ASSETS_HOME/tenants/). `database_url_env`: the variable holding the SQLAlchemy URL; None
    means the SQLite file in the tenant's home. `s3`: how an `s3://` storage root is reached (the
    standard AWS_* variables unless named otherwise)."""

    name: str | None = None
    home: str | None = None
    database_url_env: str | None = DATABASE_URL_ENV
    storage_url: str | None = None
    forcepoint: ForcepointAccess | None = field(default_factory=ForcepointAccess)
    aperture: ApertureAccess | None = field(default_factory=ApertureAccess)
    s3: S3Access = field(default_factory=S3Access)

    def __post_init__(self) -> None:
        check_name(self.name)
        check_env_name("database_url_env", self.database_url_env)
        if self.name is not None:  # never the default tenant's credentials: its own variables instead
            fp, ap = self.forcepoint, self.aperture
            if fp is not None and (fp.token_env, fp.username_env, fp.password_env) == _DEFAULT_FORCEPOINT_NAMES:
                own = tuple(own_variable(self.name, v) for v in _DEFAULT_FORCEPOINT_NAMES)
                fp = replace(fp, token_env=own[0], username_env=own[1], password_env=own[2])
                object.__setattr__(self, "forcepoint", fp)
            if ap is not None and (ap.client_id_env, ap.client_secret_env) == _DEFAULT_APERTURE_NAMES:
                own = tuple(own_variable(self.name, v) for v in _DEFAULT_APERTURE_NAMES)
                object.__setattr__(self, "aperture", replace(ap, client_id_env=own[0], client_secret_env=own[1]))

    # ------------------------------------------------------------------------------- names

    @property
    def is_default(self) -> bool:
        return self.name is None

    @property
    def key_prefix(self) -> list[str]:
        """The asset key prefix: [] for the default tenant, [name] for a named one."""
        return [] if self.name is None else [self.name]

    def qualified(self, name: str) -> str:
        """A job, schedule, sensor or pool name of this tenant: `acme__forcepoint_fetch`."""
        return name if self.name is None else f"{self.name}__{name}"

    @property
    def catalog_name(self) -> str:
        return DEFAULT_CATALOG if self.name is None else f"{DEFAULT_CATALOG}_{self.name}"

    @property
    def state_prefix(self) -> str:
        """Prefix of this tenant's state keys (streams, quota counters, lock names) in a database
        that other tenants may share: "" for the default tenant (the keys of earlier versions)."""
        return "" if self.name is None else f"{self.name}/"

    # ------------------------------------------------------------------- resolved at run time

    def home_root(self, environ: Mapping[str, str] | None = None) -> Path:
        env = os.environ if environ is None else environ
        if self.home:
            return Path(self.home).expanduser().resolve()
        base = Path(env.get(HOME_ENV) or DEFAULT_HOME)
        if self.name is not None:
            base = base / TENANTS_FOLDER / self.name
        return base.expanduser().resolve()

    def database_url_from(self, environ: Mapping[str, str] | None = None) -> str | None:
        """The database URL's value (None: the SQLite file in the home). It may hold a password:
        never show it unmasked."""
        env = os.environ if environ is None else environ
        if self.database_url_env is None:
            return None
        return (env.get(self.database_url_env) or "").strip() or None

    def storage_url_from(self, environ: Mapping[str, str] | None = None) -> str | None:
        """The storage root (None: the home). The default tenant's comes from $LOG_ASSETS_STORAGE_URL."""
        env = os.environ if environ is None else environ
        if self.storage_url:
            return self.storage_url.strip()
        if self.name is None:
            return (env.get(STORAGE_URL_ENV) or "").strip() or None
        return None

    @property
    def database_setting(self) -> str:
        """How a message names where this tenant's database URL is set (the variable, never its value)."""
        if self.database_url_env:
            return self.database_url_env
        return f"the database_url_env of {self.describe()} (unset: the SQLite file log_assets.db in its home)"

    @property
    def storage_setting(self) -> str:
        """How a message names where this tenant's storage root is set."""
        if self.name is None and not self.storage_url:
            return STORAGE_URL_ENV
        return f"the storage_url of {self.describe()}"

    def command_options(self) -> str:
        """The options of the package's commands that name this tenant (`--tenant acme ...`), for the
        commands a message suggests; "" for the default tenant with today's settings."""
        import shlex

        parts: list[str] = []
        if self.name is not None:
            parts += ["--tenant", self.name]
        default_db = DATABASE_URL_ENV if self.name is None else None
        if self.database_url_env != default_db and self.database_url_env:
            parts += ["--database-url-env", self.database_url_env]
        if self.storage_url:
            parts += ["--storage-url", self.storage_url]
        for option, attribute in _S3_OPTIONS.items():
            value = getattr(self.s3, attribute, None) if self.s3 is not None else None
            if value:
                parts += [option, value]
        return " ".join(shlex.quote(p) for p in parts)

    def describe(self) -> str:
        return "the default tenant" if self.name is None else f"tenant {self.name!r}"


DEFAULT_TENANT = Tenant()


# ------------------------------------------------------------------------- the commands' options


def add_tenant_arguments(parser) -> None:
    """`--tenant`, `--database-url-env`, `--storage-url` for a command that works on a home (an
    argparse parser): a named tenant's home, database and catalog as its definitions give them."""
    parser.add_argument(
        "--tenant",
        help="a named tenant (as in its Component or build_defs): its home ($LOG_ASSETS_HOME/tenants/<name> "
        "unless --home), its catalog log_assets_<name>, its state; default: the default tenant",
    )
    parser.add_argument(
        "--database-url-env",
        help="the NAME of the variable holding the tenant's database URL (its `database_url_env`); default: "
        f"{DATABASE_URL_ENV} for the default tenant, the SQLite file in the home for a named one",
    )
    parser.add_argument(
        "--storage-url", help="the tenant's storage root (its `storage_url`); default: as its definitions say"
    )
    for option, attribute in _S3_OPTIONS.items():
        parser.add_argument(
            option, help=f"its `s3.{attribute}` (an s3:// storage root); default: the AWS_* variables"
        )


_S3_OPTIONS = {
    "--s3-endpoint-url": "endpoint_url",
    "--s3-region": "region",
    "--s3-access-key-id-env": "access_key_id_env",
    "--s3-secret-access-key-env": "secret_access_key_env",
    "--s3-session-token-env": "session_token_env",
}


def tenant_from_args(args) -> Tenant:
    """The Tenant the options of `add_tenant_arguments` name (bad settings raise TenantConfigError)."""
    name = check_name(getattr(args, "tenant", None) or None)
    env_name = getattr(args, "database_url_env", None)
    s3 = {a: getattr(args, o[2:].replace("-", "_"), None) or None for o, a in _S3_OPTIONS.items()}
    return Tenant(
        name=name,
        database_url_env=env_name if env_name else (DATABASE_URL_ENV if name is None else None),
        storage_url=getattr(args, "storage_url", None) or None,
        s3=S3Access(**s3),
    )
