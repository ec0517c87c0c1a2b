"""The client against the sandbox over HTTP: every endpoint, and every kind of error."""

import http.server
import threading
import time

import pytest

from recraft_studio.recraft import errors
from recraft_studio.recraft.client import RecraftClient
from recraft_studio.recraft.validation import RequestInvalid
from recraft_studio.sandbox.process import SandboxProcess
from tests import images
from tests.services import ADMIN_SECRET

TOKEN = "client-test-token"


@pytest.fixture(scope="module")
def api():
    with SandboxProcess(tokens=[TOKEN], admin_secret=ADMIN_SECRET, url_ttl=2) as process:
        yield process


@pytest.fixture
def client(api):
    api.reset()
    with RecraftClient(base_url=api.base_url, token=TOKEN) as client:
        yield client


def test_generate_returns_the_images_and_what_they_cost(client):
    result = client.generate(prompt="race car on a track", style="digital_illustration", n=2)
    assert result.credits == 80
    assert len(result.images) == 2 and all(i.image_id and i.url for i in result.images)
    data, content_type = client.download(result.images[0].url)
    assert content_type == "image/png" and data.startswith(b"\x89PNG")


def test_every_image_tool_answers_with_an_image(client):
    image, mask = images.png(512, 512), images.mask(512, 512)
    calls = {
        "image_to_image": lambda: client.image_to_image(image=image, prompt="winter", strength=0.2),
        "inpaint": lambda: client.inpaint(image=image, mask=mask, prompt="moon"),
        "replace_background": lambda: client.replace_background(image=image, prompt="beach"),
        "generate_background": lambda: client.generate_background(
            image=image, mask=mask, prompt="beach"
        ),
        "vectorize": lambda: client.vectorize(image=image),
        "remove_background": lambda: client.remove_background(image=image),
        "crisp_upscale": lambda: client.crisp_upscale(image=image),
        "creative_upscale": lambda: client.creative_upscale(image=image),
        "erase_region": lambda: client.erase_region(image=image, mask=mask),
        "variate_image": lambda: client.variate_image(image=image, size="1024x1024", n=2),
    }
    for name, call in calls.items():
        result = call()
        assert result.images, name
        assert result.credits > 0, name
    svg, content_type = client.download(client.vectorize(image=image).images[0].url)
    assert content_type.startswith("image/svg+xml") and b"<path" in svg


def test_styles_can_be_created_listed_read_and_deleted(client):
    style = client.create_style(style="digital_illustration", images=[images.png(256, 256)])
    assert style["style"] == "digital_illustration" and style["credits"] == 40
    assert style["id"] in [s["id"] for s in client.list_styles()]
    assert client.get_style(style["id"])["id"] == style["id"]
    client.delete_style(style["id"])
    with pytest.raises(errors.RecraftNotFound):
        client.get_style(style["id"])


def test_me_reports_the_balance_after_charges(client, api):
    before = client.me()["credits"]
    client.generate(prompt="x")
    assert client.me()["credits"] == before - 40


def test_invalid_parameters_are_refused_before_any_request_is_sent(client, api):
    sent = len(api.requests())
    with pytest.raises(RequestInvalid) as caught:
        client.generate(prompt="x", n=7)
    assert caught.value.errors[0].field == "n"
    assert len(api.requests()) == sent


def test_an_unknown_token_is_an_auth_error_with_the_apis_message(api):
    with (
        RecraftClient(base_url=api.base_url, token="nope") as client,
        pytest.raises(errors.RecraftAuthError) as caught,
    ):
        client.me()
    assert caught.value.status == 401 and not caught.value.transient
    assert caught.value.message


def test_a_rejected_upload_is_a_bad_request_naming_the_field(client):
    with pytest.raises(errors.RecraftBadRequest) as caught:
        client.vectorize(image=b"not an image at all")
    assert caught.value.status == 400 and caught.value.field in ("file", "image")


def test_running_out_of_credits_is_its_own_error(client, api):
    api.set_credits(TOKEN, 10)
    with pytest.raises(errors.RecraftInsufficientCredits) as caught:
        client.generate(prompt="x")
    assert caught.value.status == 402 and not caught.value.transient


def test_the_rate_limit_is_reported_with_retry_after(client, api):
    api.set_rate_limit(2)
    client.generate(prompt="x", n=2)
    with pytest.raises(errors.RecraftRateLimited) as caught:
        client.generate(prompt="x")
    assert caught.value.transient and caught.value.retry_after > 0


@pytest.mark.parametrize(
    "mode, error",
    [
        ("500", errors.RecraftServerError),
        ("503", errors.RecraftServerError),
        ("drop", errors.RecraftUnavailable),
    ],
)
def test_server_failures_are_transient_errors(client, api, mode, error):
    api.set_faults(mode, count=1)
    with pytest.raises(error) as caught:
        client.generate(prompt="x")
    assert caught.value.transient
    assert client.generate(prompt="x").images  # the next call goes through


def test_an_expired_image_url_is_reported_as_expired(client):
    url = client.generate(prompt="x").images[0].url
    time.sleep(2.5)
    with pytest.raises(errors.RecraftImageExpired):
        client.download(url)


# --- where outputs are fetched from --------------------------------------------------------


def test_a_dropped_connection_after_sending_says_the_api_may_have_done_the_work(client, api):
    api.set_faults("drop", count=1)
    with pytest.raises(errors.RecraftUnavailable) as caught:
        client.generate(prompt="x")
    assert caught.value.maybe_processed


def test_an_api_that_cannot_be_reached_did_nothing():
    unreachable = RecraftClient(base_url="http://127.0.0.1:9/v1", token=TOKEN)
    with unreachable, pytest.raises(errors.RecraftUnavailable) as caught:
        unreachable.generate(prompt="x")
    assert not caught.value.maybe_processed


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "https://img.recraft.ai.evil.example/x.png",
        "data:image/png;base64,iVBORw0KGgo=",
        "http://img.recraft.ai/plain-http.png",
    ],
)
def test_an_output_address_outside_the_apis_hosts_is_never_fetched(client, url):
    with pytest.raises(errors.RecraftDownloadRefused):
        client.download(url)


class _Server(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the standard library's name)
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/")
            self.end_headers()
            return
        body = b"x" * 4096
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        if self.path != "/no-length":
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def image_host():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_redirect_from_the_image_host_is_not_followed(image_host):
    host_client = RecraftClient(base_url=f"{image_host}/v1", token=TOKEN)
    with host_client, pytest.raises(errors.RecraftDownloadRefused, match="redirect"):
        host_client.download(f"{image_host}/redirect")


@pytest.mark.parametrize("path", ["/declared", "/no-length"])
def test_an_output_larger_than_the_cap_is_refused(image_host, path):
    host_client = RecraftClient(base_url=f"{image_host}/v1", token=TOKEN, download_max_bytes=1000)
    with host_client, pytest.raises(errors.RecraftDownloadRefused, match="than the studio takes"):
        host_client.download(f"{image_host}{path}")
