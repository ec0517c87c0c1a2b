"""Signed, expiring image URLs, as the API hands out (Policies).

The real API's image links need no token but are cryptographically signed, so a
link cannot be guessed or extended. The sandbox signs the image id and the expiry
time with a key that lives only as long as the process, which is also as long as
the images it stores.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from urllib.parse import urlencode

IMAGE_PATH_PREFIX = "/images/"
_EXPIRES = re.compile(r"^\d{1,12}(\.\d{1,3})?$")


class UrlSigner:
    """Builds and checks `/images/<id>?expires=<unix>&signature=<hmac>` links.

    The expiry is signed to the millisecond, so a short TTL in a test means exactly
    that many seconds, whether or not the image has been swept yet.
    """

    def __init__(self, key: bytes | None = None):
        self._key = key or secrets.token_bytes(32)

    def signature(self, image_id: str, expires: str) -> str:
        digest = hmac.new(self._key, f"{image_id}:{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")

    def url(self, base_url: str, image_id: str, expires_at: float) -> str:
        expires = f"{expires_at:.3f}"
        query = urlencode({"expires": expires, "signature": self.signature(image_id, expires)})
        return f"{base_url}{IMAGE_PATH_PREFIX}{image_id}?{query}"

    def verify(self, image_id: str, expires: str | None, signature: str | None) -> float | None:
        """The expiry time the link was signed with, or None when it was not signed here."""
        if not expires or not signature or not _EXPIRES.match(expires):
            return None
        expected = self.signature(image_id, expires)
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            return None
        return float(expires)
