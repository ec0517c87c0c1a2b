from tests.assets.conftest import studio  # noqa: F401 (the same logged-in designer)
