"""Where photo files live: one interface, two backends.

``DiskStorage`` keeps files in a folder (``PICTURES_DIR``, by default ``instance/pictures``);
``S3Storage`` keeps them in a bucket of any S3-compatible store (``PICTURES_STORAGE = "s3"``,
``PICTURES_S3_BUCKET``, and optionally ``PICTURES_S3_ENDPOINT_URL``, ``PICTURES_S3_REGION``
and ``PICTURES_S3_PREFIX``; credentials come from boto3's usual places: the environment, a
profile, or the machine's role). Names are checked before either backend sees them, so no
name can point outside the folder or the prefix.
"""

from __future__ import annotations

import os
import re
import tempfile
from typing import Protocol

from flask import current_app

from pb_app.errors import DomainError

NAME_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,48}\.(jpg|png)")
S3_CLIENTS_KEY = "pb_app.pictures_s3_clients"


class StorageUnavailable(DomainError):
    """The photo store could not be reached or refused a file."""

    status = 503
    title = "Sorry, photos cannot be saved or shown just now"


class PhotoStorage(Protocol):
    """Saves, reads and deletes a photo file by its name."""

    def save(self, name: str, data: bytes, content_type: str) -> None:
        """Store ``data`` under ``name``."""

    def read(self, name: str) -> bytes | None:
        """The file's bytes, or None if there is no such file."""

    def delete(self, name: str) -> None:
        """Remove the file; no error if it is already gone."""


def check_name(name: str) -> str:
    """Return ``name`` if it is one the service gives files (random letters and .jpg or .png);
    raises ValueError otherwise."""
    if not NAME_PATTERN.fullmatch(name):
        raise ValueError(f"not a photo file name: {name!r}")
    return name


class DiskStorage:
    """Photo files in one folder, created when the first photo is saved."""

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def _path(self, name: str) -> str:
        return os.path.join(self.folder, check_name(name))

    def save(self, name: str, data: bytes, content_type: str) -> None:
        """Write the file whole or not at all (a temporary file, then renamed)."""
        path = self._path(name)
        try:
            os.makedirs(self.folder, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".upload-")
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except OSError as error:
            current_app.logger.error("Could not save photo %s: %s", name, error)
            raise StorageUnavailable("The photo could not be saved. Try again later.") from None

    def read(self, name: str) -> bytes | None:
        """The file's bytes, or None."""
        try:
            with open(self._path(name), "rb") as file:
                return file.read()
        except FileNotFoundError:
            return None

    def delete(self, name: str) -> None:
        """Remove the file if it is there."""
        try:
            os.remove(self._path(name))
        except FileNotFoundError:
            pass


class S3Storage:
    """Photo files as objects of one bucket, under an optional prefix."""

    def __init__(self, client, bucket: str, prefix: str = "") -> None:
        self.client, self.bucket, self.prefix = client, bucket, prefix

    def _key(self, name: str) -> str:
        return self.prefix + check_name(name)

    def save(self, name: str, data: bytes, content_type: str) -> None:
        """Put the object with its content type."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(name), Body=data,
                                   ContentType=content_type)
        except (BotoCoreError, ClientError) as error:
            current_app.logger.error("Could not save photo %s to S3: %s", name, error)
            raise StorageUnavailable("The photo could not be saved. Try again later.") from None

    def read(self, name: str) -> bytes | None:
        """The object's bytes, or None if the bucket has no such object."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(name))
            return answer["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            current_app.logger.error("Could not read photo %s from S3: %s", name, error)
        except BotoCoreError as error:
            current_app.logger.error("Could not read photo %s from S3: %s", name, error)
        raise StorageUnavailable("The photo cannot be shown just now. Try again later.")

    def delete(self, name: str) -> None:
        """Delete the object (S3 answers the same whether or not it existed)."""
        self.client.delete_object(Bucket=self.bucket, Key=self._key(name))


def photo_storage() -> PhotoStorage:
    """The backend the app's configuration names: ``PICTURES_STORAGE`` "disk" (the default)
    or "s3". Raises RuntimeError for another name or an S3 store without a bucket."""
    config = current_app.config
    backend = config.get("PICTURES_STORAGE", "disk")
    if backend == "disk":
        return DiskStorage(config.get("PICTURES_DIR")
                           or os.path.join(current_app.instance_path, "pictures"))
    if backend == "s3":
        bucket = config.get("PICTURES_S3_BUCKET")
        if not bucket:
            raise RuntimeError("PICTURES_STORAGE is s3 but PICTURES_S3_BUCKET is not set")
        return S3Storage(_s3_client(), bucket, config.get("PICTURES_S3_PREFIX", ""))
    raise RuntimeError(f"PICTURES_STORAGE must be 'disk' or 's3', not {backend!r}")


def _s3_client():
    """One boto3 client per endpoint and region, made when first needed (boto3 is slow to
    start, and thread-safe once made)."""
    import boto3

    config = current_app.config
    settings = (config.get("PICTURES_S3_ENDPOINT_URL"), config.get("PICTURES_S3_REGION"))
    clients = current_app.extensions.setdefault(S3_CLIENTS_KEY, {})
    if settings not in clients:
        endpoint, region = settings
        clients[settings] = boto3.client("s3", endpoint_url=endpoint, region_name=region)
    return clients[settings]
