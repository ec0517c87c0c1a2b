"""One sandbox subprocess for the whole session, reset before each test that uses it."""

from __future__ import annotations

import httpx
import pytest
from openai import OpenAI

from recraft_studio.sandbox.process import SandboxProcess

TOKEN = "sandbox-token"
OTHER_TOKEN = "second-token"


@pytest.fixture(scope="session")
def running_sandbox():
    with SandboxProcess(tokens=(TOKEN, OTHER_TOKEN)) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(running_sandbox):
    """The session's sandbox, with starting balances and knobs and nothing stored."""
    running_sandbox.reset()
    return running_sandbox


@pytest.fixture
def client(sandbox):
    """The OpenAI client exactly as the docs build it, but for base URL and key.

    Retries are off so a test sees each answer the sandbox gives.
    """
    with OpenAI(base_url=sandbox.base_url, api_key=sandbox.token, max_retries=0) as client:
        yield client


@pytest.fixture
def http(sandbox):
    """Plain HTTP with the token, as curl sends it."""
    headers = {"Authorization": f"Bearer {sandbox.token}"}
    with httpx.Client(base_url=sandbox.base_url, headers=headers, timeout=60) as http:
        yield http


@pytest.fixture
def anonymous(sandbox):
    with httpx.Client(base_url=sandbox.base_url, timeout=60) as http:
        yield http


@pytest.fixture
def fetch(sandbox):
    """Download a URL the sandbox handed out, without a token, as a browser would."""
    with httpx.Client(timeout=60) as http:
        yield http.get
