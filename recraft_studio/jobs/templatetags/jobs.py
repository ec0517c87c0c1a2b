"""Template tags of the job pages: the tools the lightbox opens with a key."""

from django import template
from django.utils.html import json_script

from recraft_studio.recraft import catalog

from ..forms import TOOL_KEYS

register = template.Library()


@register.simple_tag
def lightbox_tools():
    """The common tools and their keys, as a JSON data block for `static/js/lightbox.js`."""
    tools = [
        {"op": str(op), "label": catalog.OPERATIONS[op].label, "key": key}
        for op, key in TOOL_KEYS.items()
    ]
    return json_script(tools, "lightbox-tools")
