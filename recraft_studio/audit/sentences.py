"""The audit trail in sentences a person reads, with links to what they are about.

One function per verb, registered with `@sentence("verb", ...)`; every part of the
studio that records events adds its sentences here. A verb without one still reads
well enough ("Job retried by dana"), so an event recorded by newer code never shows
as a bare code. The same parts render as HTML (with links) for the page and as plain
text for the CSV and JSON Lines exports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from recraft_studio.recraft.catalog import STYLE_LABELS

from .models import AuditEvent


@dataclass(frozen=True)
class Link:
    text: str
    url: str = ""


Part = str | Link


@dataclass(frozen=True)
class Change:
    """One value an event changed: what it was and what it became."""

    label: str
    before: str
    after: str


@dataclass(frozen=True)
class Described:
    parts: tuple
    changes: tuple = field(default_factory=tuple)

    @property
    def text(self) -> str:
        return "".join(p.text if isinstance(p, Link) else p for p in self.parts)

    @property
    def html(self) -> SafeString:
        out = []
        for part in self.parts:
            if isinstance(part, Link) and part.url:
                out.append(format_html('<a href="{}">{}</a>', part.url, part.text))
            else:
                out.append(format_html("{}", part.text if isinstance(part, Link) else part))
        return mark_safe("".join(out))  # noqa: S308 - every part went through format_html

    def __str__(self) -> str:
        return self.text


_SENTENCES: dict[str, Callable[[_Event], list]] = {}

#: How the trail's action filter and the fallback sentence name each kind of object.
NOUNS = {
    "asset": "Image",
    "job": "Job",
    "brand_style": "Brand style",
    "palette": "Palette",
    "collection": "Collection",
    "export": "Export",
    "invitation": "Invitation",
    "membership": "Member",
    "workspace": "Workspace",
    "project": "Project",
    "queue": "Queue",
    "signin": "Sign-in",
    "account": "Account",
    "budget": "Budget",
}

#: Target types (model names) a person filters the trail by, with their names.
TARGET_TYPES = [
    ("asset", "Images"),
    ("job", "Jobs"),
    ("collection", "Collections"),
    ("export", "Exports"),
    ("brandstyle", "Brand styles"),
    ("palette", "Palettes"),
    ("membership", "Members"),
    ("invitation", "Invitations"),
    ("project", "Projects"),
    ("workspace", "Workspace"),
]

ROLE_NAMES = {
    "owner": "owner",
    "brand_manager": "brand manager",
    "designer": "designer",
    "viewer": "viewer",
}
STATE_NAMES = {
    "draft": "draft",
    "in_review": "in review",
    "approved": "approved",
    "retired": "retired",
}


def sentence(*verbs: str):
    """Register the function that words events of these verbs."""

    def register(fn):
        for verb in verbs:
            _SENTENCES[verb] = fn
        return fn

    return register


def verb_label(verb: str) -> str:
    """An action's name in the trail's filter: "Image approved", "Member removed"."""
    noun, _, action = verb.partition(".")
    name = NOUNS.get(noun, noun.replace("_", " ").capitalize())
    return f"{name} {action.replace('_', ' ')}".strip()


def units(n) -> str:
    return f"{n:,} unit{'s' if n != 1 else ''}" if n is not None else ""


def _quoted(text) -> str:
    return f"“{text}”" if text else ""


class _Event:
    """An event and the helpers its sentence needs (names, links)."""

    def __init__(self, event: AuditEvent):
        self.e = event
        self.d = event.data if isinstance(event.data, dict) else {}

    @property
    def actor(self) -> str:
        return self.e.actor_name or "The studio"

    @property
    def slug(self) -> str:
        return self.e.workspace.slug

    def url(self, name: str, *args) -> str:
        try:
            return reverse(name, args=args)
        except (NoReverseMatch, ValueError, TypeError):
            return ""

    def target_url(self) -> str:
        t, i = self.e.target_type, self.e.target_id
        if not i:
            return ""
        if t == "asset":
            return self.url("asset", i)
        if t == "collection":
            return self.url("collection", self.slug, i)
        if t == "export":
            return self.url("export", self.slug, i)
        if t == "brandstyle":
            return self.url("brand_style", self.slug, i)
        if t == "palette":
            return self.url("palette", self.slug, i)
        if t in ("membership", "invitation"):
            return self.url("members", self.slug)
        if t == "workspace":
            return self.url("workspace_settings", self.slug)
        if t in ("job", "project") and self.e.project_id:
            return self.url("project", self.slug, self.e.project.slug)
        return ""

    def target(self, text: str, *, gone: bool = False) -> Link:
        return Link(text, "" if gone else self.target_url())

    def project(self) -> Link | str:
        if self.e.project_id is None:
            return self.d.get("project", "a project")
        return Link(self.e.project.name, self.url("project", self.slug, self.e.project.slug))

    def image(self, *, gone: bool = False) -> Link:
        prompt = self.d.get("prompt")
        return self.target(_quoted(prompt) if prompt else "an image", gone=gone)

    def images(self) -> str:
        n = self.d.get("count", 1)
        return f"{n} image{'s' if n != 1 else ''}"


def describe(event: AuditEvent) -> Described:
    """The event as a sentence, with the values it changed."""
    ev = _Event(event)
    fn = _SENTENCES.get(event.verb, _fallback)
    try:
        parts = fn(ev)
    except (KeyError, TypeError, ValueError, AttributeError):
        parts = _fallback(ev)  # an event recorded with unexpected data still reads
    return Described(parts=tuple(parts), changes=tuple(changes(event)))


def _fallback(ev: _Event) -> list:
    """ "Job retried by dana": the object, what happened to it, and who did it."""
    noun, _, action = ev.e.verb.partition(".")
    name = NOUNS.get(noun, noun.replace("_", " ").capitalize())
    parts: list = [ev.target(name) if ev.e.target_id else name]
    if action:
        parts.append(" " + action.replace("_", " "))
    parts.append(f" by {ev.e.actor_name}" if ev.e.actor_name else "")
    if reason := ev.d.get("reason"):
        parts.append(f": {reason}")
    return parts


def _show(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


_CHANGE_LABELS = {
    "membership.role_changed": "Role",
    "workspace.budget_set": "Monthly budget",
    "project.budget_set": "Monthly budget",
    "brand_style.renamed": "Name",
    "project.renamed": "Name",
    "asset.moved": "Project",
    "queue.hourly_cap_set": "Images per person per hour",
}
_VALUE_NAMES = {"Role": ROLE_NAMES}


def changes(event: AuditEvent) -> list[Change]:
    """Before and after values, from `from`/`to` or `before`/`after` in the event's data."""
    data = event.data if isinstance(event.data, dict) else {}
    rows: list[Change] = []
    if "from" in data and "to" in data and not isinstance(data["to"], dict):
        label = _CHANGE_LABELS.get(event.verb) or (
            "State" if event.verb.startswith("asset.") else "Value"
        )
        names = _VALUE_NAMES.get(label) or (STATE_NAMES if label == "State" else {})
        rows.append(
            Change(
                label,
                _show(names.get(data["from"], data["from"])),
                _show(names.get(data["to"], data["to"])),
            )
        )
    before, after = data.get("before"), data.get("after")
    if isinstance(before, dict) and isinstance(after, dict):
        for key in list(dict.fromkeys([*before, *after])):
            if before.get(key) != after.get(key):
                rows.append(
                    Change(
                        key.replace("_", " ").capitalize(),
                        _show(before.get(key)),
                        _show(after.get(key)),
                    )
                )
    return rows


# --- jobs and the queue -----------------------------------------------------------------------


def _operation(ev: _Event) -> str:
    from recraft_studio.recraft.catalog import OPERATIONS, Op

    op = ev.d.get("operation") or ""
    try:
        return OPERATIONS[Op(op)].label.lower()
    except (ValueError, KeyError):
        return op.replace("_", " ") or "a"


@sentence("job.submitted")
def _job_submitted(ev):
    prompt = (ev.d.get("params") or {}).get("prompt")
    est = f" (about {units(ev.e.estimated_cost)})" if ev.e.estimated_cost else ""
    return [
        ev.actor,
        " started a ",
        ev.target(f"{_operation(ev)} job"),
        " in ",
        ev.project(),
        f": {_quoted(prompt)}" if prompt else "",
        est,
    ]


@sentence("job.completed")
def _job_completed(ev):
    n = ev.d.get("outputs")
    made = f", {n} image{'s' if n != 1 else ''}" if n else ""
    return [
        ev.target(f"{_operation(ev).capitalize()} job"),
        f" by {ev.actor} finished{made}",
        f"; the API charged {units(ev.e.actual_cost)}" if ev.e.actual_cost is not None else "",
    ]


@sentence("job.failed")
def _job_failed(ev):
    charged = f" (the API charged {units(ev.e.actual_cost)})" if ev.e.actual_cost else ""
    return [
        ev.target(f"{_operation(ev).capitalize()} job"),
        f" by {ev.actor} failed",
        f": {ev.d['reason']}" if ev.d.get("reason") else "",
        charged,
    ]


@sentence("job.canceled")
def _job_canceled(ev):
    return [ev.actor, " canceled a ", ev.target(f"{_operation(ev)} job"), " before it ran"]


@sentence("job.retried")
def _job_retried(ev):
    again = " (storing the answer it already had)" if ev.d.get("reuses_answer") else ""
    return [ev.actor, " retried a ", ev.target(f"{_operation(ev)} job"), again]


@sentence("job.charged")
def _job_charged(ev):
    n = ev.d.get("images")
    made = f" for {n} image{'s' if n != 1 else ''}" if n else ""
    return [
        "The API charged ",
        units(ev.e.actual_cost or 0),
        made,
        " (",
        ev.target(f"{_operation(ev)} job"),
        f" by {ev.actor})",
    ]


@sentence("job.call_interrupted")
def _job_call_interrupted(ev):
    return [
        "A call of ",
        ev.target(f"{ev.actor}’s {_operation(ev)} job"),
        " was cut off before its answer; the API may have charged up to ",
        units(ev.d.get("possible_units") or 0),
    ]


@sentence("queue.paused", "queue.resumed")
def _queue(ev):
    action = ev.e.verb.split(".")[1]
    if ev.d.get("scope") == "project" and ev.e.project_id:
        return [ev.actor, f" {action} the queue of ", ev.project()]
    return [ev.actor, f" {action} the workspace’s job queue"] + (
        [f": {ev.d['reason']}"] if ev.d.get("reason") else []
    )


@sentence("queue.hourly_cap_set")
def _hourly_cap(ev):
    def cap(v):
        return "no cap" if v in (None, "") else f"{v} images"

    return [
        ev.actor,
        f" changed how many images each person may start per hour from {cap(ev.d.get('from'))}"
        f" to {cap(ev.d.get('to'))}",
    ]


# --- signing in -------------------------------------------------------------------------------


def _from(ev) -> str:
    return f" from {ev.d['ip']}" if ev.d.get("ip") else ""


@sentence("account.signed_in", "signin.succeeded", "signin.signed_in")
def _signed_in(ev):
    return [ev.actor, " signed in", _from(ev)]


@sentence("account.sign_in_failed", "signin.failed")
def _signin_failed(ev):
    who = ev.d.get("username") or ev.d.get("user") or ev.e.actor_name
    return [f"A sign-in as {_quoted(who) or 'someone'} failed{_from(ev)}"]


@sentence("account.locked_out")
def _locked_out(ev):
    who = ev.d.get("username") or ev.e.actor_name
    return [
        f"Sign-ins as {_quoted(who) or 'someone'} were locked out after repeated failures",
        _from(ev),
    ]


@sentence("account.password_changed")
def _password_changed(ev):
    return [ev.actor, " changed their password"]


@sentence("account.email_verified")
def _email_verified(ev):
    return [ev.actor, f" confirmed the email address {ev.d.get('email', '')}".rstrip()]


# --- images -----------------------------------------------------------------------------------


@sentence("asset.uploaded")
def _uploaded(ev):
    return [ev.actor, " uploaded ", ev.target("an image"), " to ", ev.project()]


@sentence("asset.deleted")
def _deleted(ev):
    return [ev.actor, " moved ", ev.image(), " to the trash"]


@sentence("asset.restored")
def _restored(ev):
    return [ev.actor, " restored ", ev.image(), " from the trash"]


@sentence("asset.purged")
def _purged(ev):
    who = ev.e.actor_name or "The trash"
    how = " deleted " if ev.e.actor_name else " purged "
    return [who, how, ev.image(gone=True), " for good"]


@sentence("asset.downloaded")
def _downloaded(ev):
    extra = " with its provenance" if ev.d.get("with_provenance") else ""
    fmt = f" as {ev.d['format'].upper()}" if ev.d.get("format") else ""
    return [ev.actor, " downloaded ", ev.image(), fmt, extra]


@sentence("asset.moved")
def _moved(ev):
    return [ev.actor, " moved ", ev.image(), f" from {ev.d.get('from')} to ", ev.project()]


@sentence("asset.tagged", "asset.untagged")
def _tagged(ev):
    tags = ", ".join(ev.d.get("tags", []))
    if ev.e.verb == "asset.untagged":
        return [ev.actor, f" took the tag {tags} off ", ev.image()]
    what = ev.image() if ev.e.target_id else ev.images()
    return [ev.actor, " tagged ", what, f" with {tags}"]


@sentence("asset.review_requested")
def _review_requested(ev):
    return [ev.actor, " asked for a review of ", ev.image()]


@sentence("asset.approved")
def _approved(ev):
    return [ev.actor, " approved ", ev.image()]


@sentence("asset.sent_back")
def _sent_back(ev):
    return [ev.actor, " sent ", ev.image(), " back to draft"]


@sentence("asset.retired")
def _retired(ev):
    return [ev.actor, " retired ", ev.image()]


@sentence("asset.reopened")
def _reopened(ev):
    return [ev.actor, " reopened ", ev.image(), " as a draft"]


@sentence("asset.commented")
def _commented(ev):
    mentions = ev.d.get("mentions") or []
    told = f" (mentioning {', '.join('@' + m for m in mentions)})" if mentions else ""
    return [ev.actor, " commented on ", ev.image(), f": {_quoted(ev.d.get('comment'))}", told]


# --- collections and exports ------------------------------------------------------------------


def _collection(ev, *, gone=False) -> Link:
    return ev.target(_quoted(ev.d.get("name")) or "a collection", gone=gone)


@sentence("collection.created")
def _collection_created(ev):
    return [ev.actor, " created the collection ", _collection(ev)]


@sentence("collection.changed")
def _collection_changed(ev):
    return [ev.actor, " changed the collection ", _collection(ev)]


@sentence("collection.deleted")
def _collection_deleted(ev):
    return [ev.actor, " deleted the collection ", _collection(ev, gone=True), " (its images stay)"]


@sentence("collection.images_added")
def _collection_added(ev):
    return [ev.actor, f" added {ev.images()} to ", _collection(ev)]


@sentence("collection.image_removed")
def _collection_removed(ev):
    image = Link("an image", ev.url("asset", ev.d["asset_id"]) if ev.d.get("asset_id") else "")
    return [ev.actor, " took ", image, " out of ", _collection(ev)]


@sentence("collection.cover_set")
def _collection_cover(ev):
    image = Link("an image", ev.url("asset", ev.d["asset_id"]) if ev.d.get("asset_id") else "")
    return [ev.actor, " made ", image, " the cover of ", _collection(ev)]


def _export(ev) -> Link:
    return ev.target(_quoted(ev.d.get("name")) or "an export")


@sentence("export.created")
def _export_created(ev):
    fmt = ev.d.get("format")
    as_fmt = f" as {fmt.upper()}" if fmt and fmt != "original" else ""
    return [ev.actor, f" exported {ev.images()}{as_fmt}: ", _export(ev)]


@sentence("export.completed")
def _export_completed(ev):
    return ["The export ", _export(ev), f" was ready ({ev.images()})"]


@sentence("export.failed")
def _export_failed(ev):
    return ["The export ", _export(ev), f" failed: {ev.d.get('reason', '')}"]


@sentence("export.downloaded")
def _export_downloaded(ev):
    who = ev.e.actor_name or "Someone with the link"
    return [who, " downloaded the export ", _export(ev)]


# --- the brand kit ------------------------------------------------------------------------------


@sentence("brand_style.created")
def _style_created(ev):
    base = STYLE_LABELS.get(ev.d.get("base_style", ""), ev.d.get("base_style", ""))
    charged = ev.e.actual_cost or ev.d.get("charged")
    cost = f" (the API charged {units(charged)})" if charged else ""
    return [
        ev.actor,
        " created the brand style ",
        ev.target(_quoted(ev.d.get("name"))),
        f" on {base}" if base else "",
        cost,
    ]


@sentence("brand_style.renamed")
def _style_renamed(ev):
    return [
        ev.actor,
        " renamed the brand style ",
        ev.target(_quoted(ev.d.get("from"))),
        f" to {_quoted(ev.d.get('to'))}",
    ]


@sentence("brand_style.archived", "brand_style.unarchived")
def _style_archived(ev):
    return [
        ev.actor,
        f" {ev.e.verb.split('.')[1]} the brand style ",
        ev.target(_quoted(ev.d.get("name"))),
    ]


@sentence("brand_style.deleted")
def _style_deleted(ev):
    return [ev.actor, " deleted the brand style ", _quoted(ev.d.get("name"))]


@sentence("palette.created", "palette.deleted")
def _palette(ev):
    gone = ev.e.verb == "palette.deleted"
    name = ev.d.get("name") or (ev.d.get("after") or {}).get("name")
    return [
        ev.actor,
        f" {ev.e.verb.split('.')[1]} the palette ",
        ev.target(_quoted(name), gone=gone),
    ]


@sentence("palette.updated")
def _palette_updated(ev):
    name = (ev.d.get("after") or {}).get("name") or ev.d.get("name")
    return [ev.actor, " changed the palette ", ev.target(_quoted(name))]


# --- members, the workspace, projects ------------------------------------------------------------


def _role(value) -> str:
    return ROLE_NAMES.get(value, str(value).replace("_", " "))


@sentence("invitation.created")
def _invited(ev):
    return [
        ev.actor,
        " invited ",
        ev.target(ev.d.get("email", "someone")),
        f" as {_role(ev.d.get('role'))}",
    ]


@sentence("invitation.revoked")
def _invitation_revoked(ev):
    return [ev.actor, " withdrew the invitation of ", ev.target(ev.d.get("email", "someone"))]


@sentence("invitation.accepted")
def _invitation_accepted(ev):
    already = " (already a member)" if ev.d.get("already_member") else ""
    return [ev.actor, " accepted the invitation for ", ev.d.get("email", "their address"), already]


@sentence("membership.created")
def _member_joined(ev):
    return [ev.target(ev.d.get("user") or ev.actor), f" joined as {_role(ev.d.get('role'))}"]


@sentence("membership.role_changed")
def _role_changed(ev):
    return [
        ev.actor,
        " changed ",
        ev.target(f"{ev.d.get('user')}’s"),
        f" role from {_role(ev.d.get('from'))} to {_role(ev.d.get('to'))}",
    ]


@sentence("membership.removed")
def _member_removed(ev):
    return [ev.actor, f" removed {ev.d.get('user')} ({_role(ev.d.get('role'))}) from the workspace"]


@sentence("workspace.api_token_set")
def _token_set(ev):
    return [
        ev.actor,
        " set the workspace’s ",
        ev.target("API token"),
        f" (ending {ev.d.get('last4')})",
    ]


@sentence("workspace.api_token_cleared")
def _token_cleared(ev):
    return [
        ev.actor,
        " removed the workspace’s ",
        ev.target("API token"),
        f" (ending {ev.d.get('last4')})",
    ]


def _budget(value) -> str:
    return "no cap" if value in (None, "") else units(value)


@sentence("workspace.budget_set")
def _budget_set(ev):
    return [
        ev.actor,
        " changed the ",
        ev.target("monthly budget"),
        f" from {_budget(ev.d.get('from'))} to {_budget(ev.d.get('to'))}",
    ]


@sentence("project.budget_set")
def _project_budget_set(ev):
    return [
        ev.actor,
        " changed the monthly budget of ",
        ev.project(),
        f" from {_budget(ev.d.get('from'))} to {_budget(ev.d.get('to'))}",
    ]


@sentence("project.defaults_changed")
def _defaults_changed(ev):
    return [ev.actor, " changed the generation defaults of ", ev.project()]


@sentence("project.created")
def _project_created(ev):
    return [ev.actor, " created the project ", ev.project()]


@sentence("project.renamed")
def _project_renamed(ev):
    return [
        ev.actor,
        f" renamed the project {_quoted(ev.d.get('from'))} to ",
        ev.project() if ev.e.project_id else _quoted(ev.d.get("to")),
    ]


@sentence("project.archived", "project.unarchived")
def _project_archived(ev):
    return [ev.actor, f" {ev.e.verb.split('.')[1]} the project ", ev.project()]


@sentence("budget.warning")
def _budget_warning(ev):
    scope = ev.project() if ev.e.project_id else "the workspace"
    return [
        f"{ev.d.get('percent')} % of the monthly budget of ",
        scope,
        f" is spent ({units(ev.d.get('spent'))} of {units(ev.d.get('budget'))})",
    ]
