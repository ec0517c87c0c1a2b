"""A new web process does its first-request work before anyone asks."""

from django.template import engines

from recraft_studio.core.warmup import warm_up


def cached_loader():
    """Django's cached template loader (template_partials wraps it in its own)."""
    loaders = list(engines["django"].engine.template_loaders)
    while loaders:
        loader = loaders.pop()
        if hasattr(loader, "get_template_cache"):
            return loader
        loaders.extend(getattr(loader, "loaders", []))
    raise AssertionError("No cached template loader is configured")


def test_warming_up_compiles_every_page_template_ahead_of_the_first_request():
    loader = cached_loader()
    loader.reset()
    assert not loader.get_template_cache

    warm_up()

    for name in ("assets/gallery.html", "assets/library.html", "audit/spend.html", "base.html"):
        assert name in loader.get_template_cache, name
