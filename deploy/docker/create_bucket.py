"""Create the bucket of $LOG_ASSETS_STORAGE_URL in the S3-compatible store of deploy/docker-compose.yml
(the `storage-init` service); nothing to do when the storage URL is a path or the bucket exists.

Uses the standard variables (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION) and
pyarrow's S3 client, which the image already has. Exits non-zero while the store is not answering, so
compose restarts it until the store is up.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from urllib.parse import urlsplit


def bucket_of(storage_url: str) -> str | None:
    """The bucket of an `s3://bucket/prefix` URL; None for a local path."""
    parts = urlsplit(storage_url)
    if parts.scheme not in ("s3", "s3a"):
        return None
    if not parts.netloc:
        raise ValueError(f"LOG_ASSETS_STORAGE_URL {storage_url!r} names no bucket")
    return parts.netloc


def ensure_bucket(env: Mapping[str, str]) -> str | None:
    """Create the storage URL's bucket unless it exists; returns its name (None: nothing to create)."""
    from pyarrow import fs

    bucket = bucket_of(env.get("LOG_ASSETS_STORAGE_URL", ""))
    if bucket is None:
        return None
    s3 = fs.S3FileSystem(
        access_key=env.get("AWS_ACCESS_KEY_ID") or None,
        secret_key=env.get("AWS_SECRET_ACCESS_KEY") or None,
        region=env.get("AWS_REGION") or "us-east-1",
        endpoint_override=env.get("AWS_ENDPOINT_URL") or None,
        allow_bucket_creation=True,
        connect_timeout=5,
        request_timeout=10,
    )
    if s3.get_file_info(bucket).type == fs.FileType.NotFound:
        s3.create_dir(bucket)
    return bucket


def main() -> int:
    try:
        bucket = ensure_bucket(os.environ)
    except (OSError, ValueError) as e:
        print(f"storage not ready: {e}", file=sys.stderr)
        return 1
    print(f"bucket {bucket} ready" if bucket else "LOG_ASSETS_STORAGE_URL is a path: no bucket to create")
    return 0


if __name__ == "__main__":
    sys.exit(main())
