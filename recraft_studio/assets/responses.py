"""Serving stored files: after the membership check, never from the API's URLs."""

from django.http import FileResponse, HttpResponse, HttpResponseNotModified

from .files import StorageUnavailable, open_stored


def stored_file_response(request, key, *, content_type, download_name=None):
    etag = f'"{key.rsplit("/", 1)[-1]}"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified()
    try:
        stored = open_stored(key)
    except StorageUnavailable:
        return HttpResponse(
            "The studio's image storage cannot be reached right now; try again in a minute.",
            status=503,
            content_type="text/plain; charset=utf-8",
            headers={"Retry-After": "30", "Cache-Control": "no-store"},
        )
    response = FileResponse(
        stored,
        content_type=content_type,
        as_attachment=download_name is not None,
        filename=download_name or "",
    )
    response["ETag"] = etag
    # Content-addressed: the bytes behind a key never change. Private: only members.
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    if content_type == "image/svg+xml":
        # An SVG opened directly must never run script or load anything in our origin.
        response["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; sandbox"
        )
    return response
