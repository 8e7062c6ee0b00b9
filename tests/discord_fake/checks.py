"""Discord's checks on what the bot sends: message bodies, components, modals, commands.

Each returns what Discord would object to, or None when the body is acceptable.
"""

from __future__ import annotations

from tests.discord_fake.model import NAME_RE, Json


def components_problem(rows: list[Json]) -> str | None:
    """Action rows of buttons (and selects) as Discord checks them in a message."""
    items = [c for row in rows for c in row.get("components") or []]
    ids = [c["custom_id"] for c in items if "custom_id" in c]
    problems = [
        len(rows) > 5 and "over 5 action rows",
        any(r.get("type") != 1 or not 1 <= len(r.get("components") or []) <= 5 for r in rows)
        and "components: each top-level component must be an action row of 1-5 items",
        any(c.get("type") == 2 and (c.get("style") == 5) != ("url" in c) for c in items)
        and "a link button needs a url and other buttons a custom_id",
        any(c.get("type") == 2 and c.get("style") != 5 and not 1 <= len(c.get("custom_id")
            or "") <= 100 for c in items) and "custom_id must be 1-100 characters",
        any(len(c.get("label") or "") > 80 for c in items) and "label over 80 characters",
        any(c.get("type") == 2 and not (c.get("label") or c.get("emoji")) for c in items)
        and "a button needs a label or an emoji",
        len(ids) != len(set(ids)) and "duplicate custom_id",
    ]
    return next(filter(None, problems), None)


def modal_problem(data: Json) -> str | None:
    """A type 9 callback's modal: custom_id, title up to 45, 1-5 labels or text-input rows."""
    rows = data.get("components") or []
    inner = [r.get("component") if r.get("type") == 18 else (r.get("components") or [{}])[0]
             for r in rows]
    problems = [
        not 1 <= len(data.get("custom_id") or "") <= 100 and "modal custom_id must be 1-100",
        not 1 <= len(data.get("title") or "") <= 45 and "modal title must be 1-45 characters",
        not 1 <= len(rows) <= 5 and "a modal has 1-5 components",
        any(r.get("type") == 18 and not 1 <= len(r.get("label") or "") <= 45 for r in rows)
        and "label text must be 1-45 characters",
        any(not c or c.get("type") not in (3, 4) for c in inner)
        and "modal components must be text inputs or string selects",
    ]
    return next(filter(None, problems), None)


def message_problem(payload: Json, n_files: int) -> tuple[int, str] | None:
    """Discord's checks on a message body: (code, message), or None if it is acceptable."""
    content, embeds = payload.get("content") or "", payload.get("embeds") or []
    if not (content or embeds or n_files or payload.get("components")):
        return 50006, "Cannot send an empty message"
    fields = [f for e in embeds for f in e.get("fields") or []]
    problems = [
        len(content) > 2000 and "content: Must be 2000 or fewer in length.",
        len(embeds) > 10 and "embeds: Must be 10 or fewer in length.",
        any(len(e.get("title") or "") > 256 for e in embeds) and "embed title over 256",
        any(len(e.get("description") or "") > 4096 for e in embeds)
        and "embed description over 4096",
        any(len(e.get("fields") or []) > 25 for e in embeds) and "embed has over 25 fields",
        any(not 0 < len(f.get("name") or "") <= 256 for f in fields) and "field name not 1-256",
        any(not 0 < len(f.get("value") or "") <= 1024 for f in fields) and "field value not 1-1024",
        components_problem(payload.get("components") or []),
    ]
    problem = next(filter(None, problems), None)
    return (50035, f"Invalid Form Body ({problem})") if problem else None


def command_problem(node: Json) -> str | None:
    """Names, descriptions and option order as Discord checks them on sync."""
    options = node.get("options") or []
    required = [bool(o.get("required")) for o in options]
    if node.get("type", 1) in (1, 2, 3) and not NAME_RE.match(node.get("name", "")):
        return f"invalid name {node.get('name')!r}"
    if node.get("type", 1) in (1, 2, 3) and not 1 <= len(node.get("description", "")) <= 100:
        return f"{node['name']}: description must be 1-100 characters"
    if len(options) > 25 or required != sorted(required, reverse=True):
        return f"{node['name']}: over 25 options, or an optional option before a required one"
    return next(filter(None, map(command_problem, options)), None)


def edit_problem(msg: Json, body: Json | None, n_files: int) -> tuple[int, str] | None:
    """An edit is checked as the message it makes (its attachments count too)."""
    return message_problem({**msg, **(body or {})}, len(msg["attachments"]) + n_files)
