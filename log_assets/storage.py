"""The durable, shared storage root: `LOG_ASSETS_STORAGE_URL`, a local folder or `s3://bucket/prefix`.

It holds the lake's Iceberg files (under `lake/`), the Aperture spool, staged Forcepoint pages and the
quarantine. Objects are named by keys relative to the root (`spool/aperture/<name>.body`); every
access goes through a pyarrow filesystem: `LocalFileSystem`, or `S3FileSystem` configured from the
standard variables (`AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, and
`AWS_SESSION_TOKEN` for temporary credentials). Nothing else is contacted: no proxy, no region
look-up, only the endpoint.

A write is confirmed before it returns: locally the bytes are written to a temporary name, fsynced
and renamed into place; on S3 a PUT is atomic and its completed upload is the store's
acknowledgement. Secrets never appear in a repr or an error message.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.fs as pafs

from log_assets.fsutil import atomic_write_bytes
from log_assets.tenant import STORAGE_URL_ENV, S3Access

if TYPE_CHECKING:
    from log_assets.paths import Home

DEFAULT_REGION = "us-east-1"
# Seconds to wait for the store to accept a connection; a request waits at most REQUEST_TIMEOUT for
# an answer, and the SDK tries a request RETRY_ATTEMPTS times before the error reaches us.
CONNECT_TIMEOUT = 10.0
REQUEST_TIMEOUT = 60.0
RETRY_ATTEMPTS = 3
# pyiceberg's FileIO for a local root (log_assets.lake.fileio), by the name pyiceberg loads it by.
DURABLE_LOCAL_FILE_IO = "log_assets.lake.fileio.DurableLocalFileIO"


class StorageError(RuntimeError):
    """The store refused or did not answer. The message names the store and the key, never a secret."""


@dataclass(frozen=True)
class ObjectInfo:
    key: str  # relative to the storage root, `/`-separated
    size: int
    mtime: datetime | None  # UTC


@dataclass(frozen=True)
class S3Settings:
    """How to reach an S3-compatible store, from the standard AWS variables or those a tenant names."""

    endpoint: str | None  # `http://host:port`, as given in AWS_ENDPOINT_URL; None for AWS itself
    region: str
    access_key_id: str | None = field(default=None, repr=False)
    secret_access_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)
    key_setting: str = "AWS_ACCESS_KEY_ID"  # the variable the access key id came from, for messages
    # What to check when the store fails an access: where these settings came from.
    check: str = (
        "that the store answers at AWS_ENDPOINT_URL, that the bucket exists and that "
        "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_REGION are right for it"
    )

    @classmethod
    def from_env(
        cls, env: Mapping[str, str], access: S3Access | None = None, owner: str = "the default tenant"
    ) -> S3Settings:
        """The settings from `env`: the standard variables, or what `access` (a tenant's `s3`) gives
        and names. A variable `access` names that is not set is an error naming it (never a value);
        `owner` says whose setting it is."""
        access = access or S3Access()
        endpoint: str | None
        # A tenant that names its own credentials has its own store: the standard variables' endpoint
        # and region (another store's, perhaps) are not its (unset here: AWS itself, us-east-1).
        standard = not access.names_credentials
        if access.endpoint_url:
            endpoint, where = access.endpoint_url.strip(), f"the s3.endpoint_url of {owner}"
        else:
            given = (env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or "") if standard else ""
            endpoint = given.strip() or None
            where = "AWS_ENDPOINT_URL"
        if endpoint is not None:
            parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"{where}={endpoint!r} is not an http(s) URL such as http://127.0.0.1:9000")
            endpoint = f"{parts.scheme}://{parts.netloc}"
        key_env, secret_env, token_env = access.credential_variables
        values = {name: env.get(name) or None for name in (key_env, secret_env, token_env) if name}
        if access.names_credentials:
            missing = [name for name, value in values.items() if value is None]
            if missing:
                raise ValueError(
                    f"{' and '.join(missing)} (named by the s3 settings of {owner}) "
                    f"{'is' if len(missing) == 1 else 'are'} not set: set {'it' if len(missing) == 1 else 'them'} "
                    "to the tenant's S3 credentials, or leave the tenant's s3 credentials unnamed to use the "
                    "standard AWS_* variables"
                )
        region = (
            access.region
            or (env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") if standard else None)
            or DEFAULT_REGION
        )
        settings = cls(
            endpoint=endpoint,
            # Always a region: without one pyarrow and pyiceberg ask AWS where the bucket lives.
            region=region.strip(),
            access_key_id=values[key_env],
            secret_access_key=values[secret_env],
            session_token=values[token_env] if token_env else None,
            key_setting=key_env,
        )
        if standard and not access.endpoint_url and not access.region:
            return settings
        store = f"{endpoint} ({where})" if endpoint else "AWS itself (no endpoint_url)"
        return replace(
            settings,
            check=f"that the store answers at {store}, that the bucket exists and that {key_env} / {secret_env} "
            f"and the region {settings.region} are right for it (the s3 settings of {owner})",
        )

    def __repr__(self) -> str:
        creds = f"from {self.key_setting}" if self.access_key_id else "from the SDK's default chain"
        return f"S3Settings(endpoint={self.endpoint!r}, region={self.region!r}, credentials {creds})"

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.access_key_id, self.secret_access_key, self.session_token) if s)


class Storage:
    """A storage root and the pyarrow filesystem that reaches it.

    `url` is the root as a URL (`file:///abs/path` or `s3://bucket/prefix`); `fs` the filesystem and
    `base` the root's path in it (`/abs/path` or `bucket/prefix`)."""

    def __init__(
        self,
        url: str,
        fs: pafs.FileSystem,
        base: str,
        s3: S3Settings | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
        request_timeout: float = REQUEST_TIMEOUT,
    ):
        self.url = url.rstrip("/")
        self.fs = fs
        self.base = base.rstrip("/") or "/"
        self.s3 = s3
        self.connect_timeout = connect_timeout
        self.request_timeout = request_timeout

    # ------------------------------------------------------------------------------ creation

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, home: str | os.PathLike | None = None) -> Storage:
        """The default tenant's: `LOG_ASSETS_STORAGE_URL`, else the home (`home`, else `$LOG_ASSETS_HOME`,
        else ./data). A run's storage is `for_home` of its home."""
        from log_assets.paths import Home

        return cls.for_home(Home.from_env(home), env)

    @classmethod
    def for_home(cls, home: Home, env: Mapping[str, str] | None = None) -> Storage:
        """The storage root of `home`: its tenant's (`Tenant.storage_url_from`: for the default tenant
        `LOG_ASSETS_STORAGE_URL`, for a named one its `storage_url`), else the home's folder."""
        url = home.tenant.storage_url_from(env)
        if not url:
            return cls.from_url(str(home.root), env)
        return cls.from_url(
            url, env, setting=home.tenant.storage_setting, access=home.tenant.s3, owner=home.tenant.describe()
        )

    @classmethod
    def from_url(
        cls,
        url: str | os.PathLike,
        env: Mapping[str, str] | None = None,
        *,
        connect_timeout: float = CONNECT_TIMEOUT,
        request_timeout: float = REQUEST_TIMEOUT,
        retry_attempts: int = RETRY_ATTEMPTS,
        setting: str = STORAGE_URL_ENV,
        access: S3Access | None = None,
        owner: str = "the default tenant",
    ) -> Storage:
        """A local path (or `file://` URL), or `s3://bucket/prefix` configured from `env`'s AWS_* variables,
        or from those `access` (a tenant's S3Access) gives and names. `setting` names where the URL was
        given, `owner` whose settings they are, for the error messages."""
        env = os.environ if env is None else env
        text = os.fspath(url).strip()
        if text.startswith("s3://") or text.startswith("s3a://"):
            parts = urlsplit(text)
            bucket, prefix = parts.netloc, parts.path.strip("/")
            if not bucket:
                raise ValueError(f"{setting}={text!r} names no bucket: use s3://bucket/prefix")
            s3 = S3Settings.from_env(env, access, owner)
            fs = pafs.S3FileSystem(
                access_key=s3.access_key_id,
                secret_key=s3.secret_access_key,
                session_token=s3.session_token,
                region=s3.region,
                endpoint_override=urlsplit(s3.endpoint).netloc if s3.endpoint else None,
                scheme=urlsplit(s3.endpoint).scheme if s3.endpoint else "https",
                connect_timeout=connect_timeout,
                request_timeout=request_timeout,
                retry_strategy=pafs.AwsStandardS3RetryStrategy(max_attempts=retry_attempts),
                proxy_options=None,
                # An object written whole (write_bytes) is one PUT when its stream closes, not a
                # multipart upload of three requests (start, part, completion); a large stream still
                # goes in parts. The stream's close reports any failure, and write_bytes closes it.
                allow_delayed_open=True,
            )
            base = f"{bucket}/{prefix}" if prefix else bucket
            return cls(f"s3://{base}", fs, base, s3, connect_timeout, request_timeout)
        if "://" in text and not text.startswith("file://"):
            raise ValueError(f"{setting}={text!r}: use a local path or s3://bucket/prefix")
        path = Path(urlsplit(text).path if text.startswith("file://") else text).expanduser().resolve()
        return cls(path.as_uri(), pafs.LocalFileSystem(), str(path))

    @property
    def is_local(self) -> bool:
        return self.s3 is None

    def __repr__(self) -> str:
        where = f", endpoint={self.s3.endpoint!r}" if self.s3 and self.s3.endpoint else ""
        return f"Storage({self.url!r}{where})"

    def describe(self) -> str:
        """The store in words, for messages."""
        if self.s3 is None:
            return self.url
        return f"{self.url} (endpoint {self.s3.endpoint or 'AWS S3'}, region {self.s3.region})"

    # --------------------------------------------------------------------------------- names

    def uri(self, key: str = "") -> str:
        """The URL of a key (what pyiceberg and other engines are given)."""
        key = _check_key(key) if key else ""
        return f"{self.url}/{key}" if key else self.url

    def fs_path(self, key: str = "") -> str:
        key = _check_key(key) if key else ""
        return posixpath.join(self.base, key) if key else self.base

    def key_of(self, location: str) -> str | None:
        """The key of a URL or filesystem path under this root, or None when it lies elsewhere."""
        if location.startswith(("file://", "s3://", "s3a://")):
            parts = urlsplit(location)
            path = parts.path if location.startswith("file://") else parts.netloc + parts.path
        else:
            path = location
        base = self.base.rstrip("/")
        if path == base:
            return ""
        if path.startswith(base + "/"):
            return path[len(base) + 1 :]
        return None

    # ------------------------------------------------------------------------------- objects

    def write_bytes(self, key: str, data: bytes, *, private: bool = False, durable: bool = True) -> ObjectInfo:
        """Store `data` under `key`, replacing what was there, and return once the store holds all of
        it (a reader sees the old object or the new one, never a part). Locally the file is owner-only
        when `private` (spool, quarantine), else it gets the shared file mode; `durable=False` skips
        the fsyncs, for copies whose loss in a power cut only costs work done again."""
        path = self.fs_path(key)
        with self._errors("writing", key):
            if not self.is_local:
                # The stream's close completes the upload (one PUT, or a multipart upload's
                # completion): when it returns, the store has acknowledged the whole object.
                with self.fs.open_output_stream(path) as out:
                    out.write(data)
                return ObjectInfo(key, len(data), datetime.now(UTC))
            atomic_write_bytes(Path(path), data, private=private, durable=durable)
            info = self.fs.get_file_info(path)
        if info.type != pafs.FileType.File or info.size != len(data):
            raise StorageError(
                f"writing {self._where(key)}: the store reports {info.size} bytes after {len(data)} were written"
            )
        return ObjectInfo(key, info.size, _utc(info.mtime))

    def read_bytes(self, key: str) -> bytes:
        path = self.fs_path(key)
        with self._errors("reading", key), self.fs.open_input_stream(path) as f:
            return f.read()

    @contextmanager
    def reading(self, key: str) -> Iterator[Any]:
        """A stream of the object's bytes, for copying one too big to hold in memory."""
        path = self.fs_path(key)
        with self._errors("reading", key), self.fs.open_input_stream(path) as f:
            yield f

    def stat(self, key: str) -> ObjectInfo | None:
        with self._errors("looking up", key):
            info = self.fs.get_file_info(self.fs_path(key))
        if info.type != pafs.FileType.File:
            return None
        return ObjectInfo(key, info.size, _utc(info.mtime))

    def exists(self, key: str) -> bool:
        return self.stat(key) is not None

    def list(self, prefix: str = "", *, recursive: bool = True) -> list[ObjectInfo]:
        """The objects under a key prefix (a folder), sorted by key. Names starting with a dot (a
        write in progress) are left out."""
        root = self.fs_path(prefix.strip("/")) if prefix.strip("/") else self.base
        with self._errors("listing", prefix or "/"):
            infos = self.fs.get_file_info(pafs.FileSelector(root, recursive=recursive, allow_not_found=True))
        out = []
        for info in infos:
            if info.type != pafs.FileType.File or info.base_name.startswith("."):
                continue
            key = self.key_of(info.path)
            if key is not None:
                out.append(ObjectInfo(key, info.size, _utc(info.mtime)))
        return sorted(out, key=lambda o: o.key)

    def delete(self, key: str) -> bool:
        """Remove an object; False when there was none."""
        path = self.fs_path(key)
        try:
            with self._errors("deleting", key):
                self.fs.delete_file(path)
        except FileNotFoundError:
            return False
        return True

    def delete_prefix(self, prefix: str) -> int:
        """Remove every object under a key prefix (a folder). Returns how many there were."""
        if not prefix.strip("/"):
            raise ValueError("refusing to delete the whole storage root")
        objects = self.list(prefix)
        path = self.fs_path(prefix.strip("/"))
        with self._errors("deleting under", prefix):
            self.fs.delete_dir_contents(path, missing_dir_ok=True)
            if self.is_local and self.fs.get_file_info(path).type == pafs.FileType.Directory:
                self.fs.delete_dir(path)
        return len(objects)

    # ------------------------------------------------------------------------------- iceberg

    def iceberg_properties(self) -> dict[str, str]:
        """pyiceberg FileIO properties that reach this store (catalog properties: they are not
        written into any table's metadata)."""
        if self.s3 is None:
            # Named, not imported: pyiceberg imports it when the lake opens its first file.
            return {"py-io-impl": DURABLE_LOCAL_FILE_IO}
        props = {
            "py-io-impl": "pyiceberg.io.pyarrow.PyArrowFileIO",
            "s3.region": self.s3.region,
            "s3.connect-timeout": str(self.connect_timeout),
            "s3.request-timeout": str(self.request_timeout),
        }
        if self.s3.endpoint:
            props["s3.endpoint"] = self.s3.endpoint
        if self.s3.access_key_id:
            props["s3.access-key-id"] = self.s3.access_key_id
        if self.s3.secret_access_key:
            props["s3.secret-access-key"] = self.s3.secret_access_key
        if self.s3.session_token:
            props["s3.session-token"] = self.s3.session_token
        return props

    # -------------------------------------------------------------------------------- errors

    def _where(self, key: str) -> str:
        return f"{self.uri(key) if key.strip('/') else self.url}" + (
            f" (endpoint {self.s3.endpoint or 'AWS S3'})" if self.s3 else ""
        )

    def scrub(self, text: str) -> str:
        """`text` with any credential of this store blanked out."""
        for secret in self.s3.secrets if self.s3 else ():
            text = text.replace(secret, "***")
        return text

    def error(self, doing: str, key: str, cause: BaseException) -> StorageError:
        """A StorageError for a failed access: the store, the key, the cause without secrets, a hint."""
        reason = self.scrub(" ".join(str(cause).split())) or type(cause).__name__
        hint = ""
        if self.s3 is not None:
            hint = f"; check {self.s3.check}"
        return StorageError(f"{doing} {self._where(key)} failed: {reason}{hint}")

    @contextmanager
    def _errors(self, doing: str, key: str) -> Iterator[None]:
        try:
            yield
        except FileNotFoundError:
            raise
        except StorageError:
            raise
        except (OSError, pa.ArrowException) as e:
            raise self.error(doing, key, e) from None


def _check_key(key: str) -> str:
    key = key.strip("/")
    if not key or any(part in ("", ".", "..") for part in key.split("/")):
        raise ValueError(f"not a storage key: {key!r}")
    return key


def _utc(mtime: Any) -> datetime | None:
    if mtime is None:
        return None
    if isinstance(mtime, datetime):
        return mtime.replace(tzinfo=UTC) if mtime.tzinfo is None else mtime.astimezone(UTC)
    return datetime.fromtimestamp(float(mtime), tz=UTC)


__all__ = [
    "STORAGE_URL_ENV",
    "ObjectInfo",
    "S3Settings",
    "Storage",
    "StorageError",
]
