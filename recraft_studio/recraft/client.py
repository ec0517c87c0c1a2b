"""A small synchronous httpx client with one method per documented endpoint.

Workers call it from Celery tasks, so it is synchronous. Before any request leaves,
the parameters are checked against the documented rules (`validation.check_params`):
the API is never paid to reject input we could have rejected ourselves.

Nested parameters (`controls`, `text_layout`) travel as JSON in JSON bodies and as
JSON-encoded form fields in multipart bodies. Uploads use the field names the
documentation's examples use (`file`, `image`, `mask`, `file1`…).
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import urlsplit

import httpx

from . import catalog
from .catalog import Op, Operation
from .errors import (
    RecraftDownloadRefused,
    RecraftError,
    RecraftImageExpired,
    RecraftUnavailable,
    error_for_status,
)
from .validation import RequestInvalid, check_params

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(120.0, connect=10.0)
#: Where the API serves its outputs (the docs' examples); the API's own host is added.
IMAGE_HOSTS = ("img.recraft.ai",)
#: The largest output the studio fetches: a 16 MP PNG with alpha is about 64 MB raw.
DOWNLOAD_MAX_BYTES = 100 * 1024 * 1024


@dataclass(frozen=True)
class OutputImage:
    """One image the API made: its id, and either a URL or the bytes in base64."""

    image_id: str
    url: str | None = None
    b64_json: str | None = None


@dataclass(frozen=True)
class CallResult:
    """The API's answer to a paid call: when, what it charged, what it made."""

    created: int
    credits: int
    images: list[OutputImage]
    raw: dict[str, Any] = field(repr=False, default_factory=dict)


def _clean(params: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None and v != ""}


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value)
    return str(value)


def _parse_result(body: dict[str, Any]) -> CallResult:
    if "data" in body:
        items = body["data"]
    elif "image" in body:
        items = [body["image"]]
    else:
        raise RecraftError("The API answered without any image.", body=body)
    images = [
        OutputImage(image_id=str(i["image_id"]), url=i.get("url"), b64_json=i.get("b64_json"))
        for i in items
    ]
    return CallResult(
        created=int(body.get("created", 0)),
        credits=int(body.get("credits", 0)),
        images=images,
        raw=body,
    )


class RecraftClient:
    """Talk to the Recraft API (or the sandbox) with one API token.

    A client is safe to share between threads and meant to be kept for the life of
    the process (`jobs.accounts.client_for`): making one costs tens of milliseconds
    of CPU for its SSL context.
    """

    def __init__(
        self,
        *,
        base_url: str = catalog.API_BASE,
        token: str,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        download_hosts: Iterable[str] = (),
        download_max_bytes: int = DOWNLOAD_MAX_BYTES,
    ):
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=timeout,
        )
        # Output URLs are public and signed; our bearer token must never travel with
        # them, and a redirect is never followed (it could lead anywhere).
        self._downloads = httpx.Client(timeout=timeout, follow_redirects=False)
        api_host = urlsplit(self.base_url).netloc
        self.download_hosts = frozenset({*IMAGE_HOSTS, api_host, *download_hosts})
        self._api_host = api_host
        self.download_max_bytes = download_max_bytes

    def close(self) -> None:
        self._http.close()
        self._downloads.close()

    def __enter__(self) -> RecraftClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transport ----------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            # No connection was made: the request never reached the API.
            raise RecraftUnavailable(f"Could not reach the API ({exc.__class__.__name__}).")
        except httpx.TransportError as exc:
            # The request left (whole or in part) and no answer came back: the API
            # may have done the work, and charged for it.
            raise RecraftUnavailable(
                f"The API did not answer ({exc.__class__.__name__}).", maybe_processed=True
            )
        if response.is_error:
            raise self._error(response)
        try:
            return response.json()
        except ValueError:
            raise RecraftError(
                "The API answered with something that is not JSON.", status=response.status_code
            )

    @staticmethod
    def _error(response: httpx.Response) -> RecraftError:
        code = field_name = None
        try:
            body = response.json()
        except ValueError:
            body = response.text
        if isinstance(body, dict):
            inner = body.get("error") if isinstance(body.get("error"), dict) else body
            message = inner.get("message") or inner.get("detail") or json.dumps(body)
            code = inner.get("code")
            field_name = inner.get("field")
        else:
            message = (body or response.reason_phrase or "").strip()[:500]
        retry_after = None
        if "Retry-After" in response.headers:
            try:
                retry_after = float(response.headers["Retry-After"])
            except ValueError:
                retry_after = None
        return error_for_status(
            response.status_code,
            str(message) or f"HTTP {response.status_code}",
            retry_after=retry_after,
            code=code,
            field=field_name,
            body=body,
        )

    def call(
        self,
        op: Op | str,
        params: Mapping[str, Any] | None = None,
        files: Mapping[str, bytes] | Sequence[bytes] | None = None,
    ) -> CallResult | dict[str, Any]:
        """Call the endpoint of `op` with `params` and uploaded `files`.

        `files` maps the documented field names to bytes; for style creation it is
        the list of reference images. Returns a `CallResult` for image endpoints and
        the API's JSON for style creation.
        """
        operation: Operation = catalog.OPERATIONS[Op(op)]
        params = _clean(params or {})
        errors = check_params(operation, params)
        if errors:
            raise RequestInvalid(errors)
        if not operation.files:
            body = self._request("POST", operation.path, json=params)
        else:
            if operation.op is Op.CREATE_STYLE:
                upload = {f"file{i}": data for i, data in enumerate(files or [], start=1)}
            else:
                upload = dict(files or {})
            missing = [name for name in operation.files if name not in upload]
            if operation.op is not Op.CREATE_STYLE and missing:
                raise ValueError(f"{operation.path} needs the files {missing}")
            body = self._request(
                "POST",
                operation.path,
                data={k: _form_value(v) for k, v in params.items()},
                files={name: (f"{name}.bin", data) for name, data in upload.items()},
            )
        if operation.result == "style":
            return body
        return _parse_result(body)

    # --- one method per endpoint -------------------------------------------------

    def generate(self, *, prompt: str, **params: Any) -> CallResult:
        return self.call(Op.GENERATE, {"prompt": prompt, **params})

    def create_style(self, *, style: str, images: Sequence[bytes], **params: Any) -> dict:
        return self.call(Op.CREATE_STYLE, {"style": style, **params}, list(images))

    def list_styles(self) -> list[dict[str, Any]]:
        return self._request("GET", "/styles").get("styles", [])

    def get_style(self, style_id: str) -> dict[str, Any]:
        return self._request("GET", f"/styles/{style_id}")

    def delete_style(self, style_id: str) -> None:
        self._request("DELETE", f"/styles/{style_id}")

    def image_to_image(
        self, *, image: bytes, prompt: str, strength: float, **params: Any
    ) -> CallResult:
        return self.call(
            Op.IMAGE_TO_IMAGE, {"prompt": prompt, "strength": strength, **params}, {"image": image}
        )

    def inpaint(self, *, image: bytes, mask: bytes, prompt: str, **params: Any) -> CallResult:
        return self.call(Op.INPAINT, {"prompt": prompt, **params}, {"image": image, "mask": mask})

    def replace_background(self, *, image: bytes, prompt: str, **params: Any) -> CallResult:
        return self.call(Op.REPLACE_BACKGROUND, {"prompt": prompt, **params}, {"image": image})

    def generate_background(
        self, *, image: bytes, mask: bytes, prompt: str, **params: Any
    ) -> CallResult:
        return self.call(
            Op.GENERATE_BACKGROUND, {"prompt": prompt, **params}, {"image": image, "mask": mask}
        )

    def vectorize(self, *, image: bytes, **params: Any) -> CallResult:
        return self.call(Op.VECTORIZE, params, {"file": image})

    def remove_background(self, *, image: bytes, **params: Any) -> CallResult:
        return self.call(Op.REMOVE_BACKGROUND, params, {"file": image})

    def crisp_upscale(self, *, image: bytes, **params: Any) -> CallResult:
        return self.call(Op.CRISP_UPSCALE, params, {"file": image})

    def creative_upscale(self, *, image: bytes, **params: Any) -> CallResult:
        return self.call(Op.CREATIVE_UPSCALE, params, {"file": image})

    def erase_region(self, *, image: bytes, mask: bytes, **params: Any) -> CallResult:
        return self.call(Op.ERASE_REGION, params, {"image": image, "mask": mask})

    def variate_image(self, *, image: bytes, size: str, **params: Any) -> CallResult:
        return self.call(Op.VARIATE, {"size": size, **params}, {"image": image})

    def me(self) -> dict[str, Any]:
        """The token's user, with its `credits` balance."""
        return self._request("GET", "/users/me")

    # --- outputs -----------------------------------------------------------------

    def _check_download_url(self, url: str) -> None:
        """Only the API's own image hosts, over HTTPS (plain HTTP only for the API's
        own host, i.e. a local sandbox): an answer naming any other address is refused."""
        parts = urlsplit(url)
        allowed_scheme = parts.scheme == "https" or (
            parts.scheme == "http" and parts.netloc == self._api_host
        )
        if not allowed_scheme or parts.netloc not in self.download_hosts:
            raise RecraftDownloadRefused(
                "The API named an image address outside its own hosts; it was not fetched."
            )

    def download_to(self, url: str, out: IO[bytes]) -> tuple[int, str]:
        """Stream an output from its signed URL into `out`: (bytes written, content type).

        Refuses other hosts, redirects, and anything over `download_max_bytes`.
        """
        self._check_download_url(url)
        try:
            with self._downloads.stream("GET", url) as response:
                if response.status_code in (404, 410):
                    raise RecraftImageExpired(
                        "The API no longer serves this image; its URL has expired.",
                        status=response.status_code,
                    )
                if response.is_redirect:
                    raise RecraftDownloadRefused(
                        "The image address answered with a redirect; it was not followed."
                    )
                if response.is_error:
                    raise error_for_status(
                        response.status_code,
                        f"Fetching an image failed (HTTP {response.status_code}).",
                    )
                declared = int(response.headers.get("Content-Length") or 0)
                if declared > self.download_max_bytes:
                    raise RecraftDownloadRefused(
                        f"An image of {declared:,} bytes is larger than the studio takes."
                    )
                written = 0
                for chunk in response.iter_bytes(chunk_size=256 * 1024):
                    written += len(chunk)
                    if written > self.download_max_bytes:
                        raise RecraftDownloadRefused(
                            "An image was larger than the studio takes; it was not kept."
                        )
                    out.write(chunk)
                return written, response.headers.get("Content-Type", "")
        except httpx.TimeoutException as exc:
            raise RecraftUnavailable(f"Fetching an image timed out ({exc.__class__.__name__}).")
        except httpx.TransportError as exc:
            raise RecraftUnavailable(f"Could not fetch an image ({exc.__class__.__name__}).")

    def download(self, url: str) -> tuple[bytes, str]:
        """Fetch an output into memory: (bytes, content type). Workers use `download_to`."""

        buffer = io.BytesIO()
        _, content_type = self.download_to(url, buffer)
        return buffer.getvalue(), content_type
