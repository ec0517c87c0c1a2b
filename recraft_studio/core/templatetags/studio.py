"""Template tags of the studio's layout: the composer's catalog and prices in dollars."""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.templatetags.static import static
from django.utils.html import json_script

from recraft_studio.recraft import catalog

register = template.Library()


@lru_cache(maxsize=1)
def _catalog_with_previews() -> dict:
    data = catalog.for_browser()
    data["previews"] = {
        f"{style}/{substyle}" if substyle else style: static(
            f"img/styles/{style}/{substyle}.webp" if substyle else f"img/styles/{style}.webp"
        )
        for style, substyle in catalog.style_pairs()
    }
    return data


@register.simple_tag
def composer_catalog():
    """The catalog as a JSON data block (`<script type="application/json">`, never run)."""
    return json_script(_catalog_with_previews(), "composer-catalog")


@register.simple_tag
def style_preview(style: str, substyle: str = "") -> str:
    """The preview picture of a base style or of one of its substyles ("" if none)."""
    key = f"{style}/{substyle}" if substyle else style
    return _catalog_with_previews()["previews"].get(key, "")


@register.filter
def usd(units) -> str:
    """API units as dollars: 80 → "$0.08", 4 → "$0.004" (1,000 units are 1 USD)."""
    if units is None or units == "":
        return ""
    dollars = int(units) / catalog.UNITS_PER_USD
    return f"${dollars:,.3f}" if 0 < dollars < 0.01 else f"${dollars:,.2f}"


#: Which workspace tab a page belongs to, by its URL name.
_TABS = {
    "workspace": "projects",
    "project": "projects",
    "project_settings": "projects",
    "project_jobs": "projects",
    "asset": "projects",
    "asset_edit": "projects",
    "asset_upload": "projects",
    "asset_remix": "projects",
    "workspace_gallery": "gallery",
    "project_gallery": "gallery",
    "workspace_jobs": "jobs",
    "workspace_queue": "queue",
    "workspace_account": "settings",
    "members": "members",
    "workspace_settings": "settings",
    "audit_trail": "audit",
    "collections": "collections",
    "collection": "collections",
    "exports": "exports",
    "export": "exports",
    "trash": "trash",
    "spend": "spend",
}


@register.simple_tag(takes_context=True)
def current_tab(context) -> str:
    """The tab of the page being shown (brand kit pages all belong to "brand")."""
    match = getattr(context.get("request"), "resolver_match", None)
    name = (match.url_name if match else "") or ""
    if name.startswith(("brand", "palette")):
        return "brand"
    return _TABS.get(name, "")


@register.filter
def pending_slots(job, outputs) -> range:
    """Placeholders for the outputs a running job has not stored yet."""
    return range(max(0, (job.n_outputs or 0) - len(outputs)))


@register.simple_tag(takes_context=True)
def back_url(context) -> str:
    """The page the person came from, when it is one of ours (for error pages' "Back")."""
    from django.utils.http import url_has_allowed_host_and_scheme

    request = context.get("request")
    if request is None:
        return ""
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return ""
