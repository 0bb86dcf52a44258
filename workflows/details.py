"""The UI's current details: where the case stands, in words (markdown, no PII).

The UI renders Markdown, so every value that a sender could have shaped (a reason, an actor id,
a name) is shown as inline code: no heading, link, image or HTML from input ever renders.
"""

import json

from domain.stage import Stage
from domain.status import CaseStatus, NextDecision

_SHOWN = 300


def inert(value: object) -> str:
    """``value`` as inline code, on one line, bounded: rendered as the literal text."""
    text = " ".join(str(value).split()).replace("`", "'")[:_SHOWN]
    return f"`{text}`"


def current_details(status: CaseStatus) -> str:
    lines = [
        f"**Stage:** {status.stage}"
        + (f" ({status.closure_reason})" if status.closure_reason else "")
        + f" since {status.stage_since:%Y-%m-%d %H:%M} UTC",
        f"**Waiting for:** {status.waiting_for}",
        "**Next deadline:** "
        + (f"{status.next_deadline:%Y-%m-%d %H:%M} UTC" if status.next_deadline else "none"),
        "**Assigned reviewer:** "
        + (inert(status.assigned_reviewer) if status.assigned_reviewer else "none"),
        f"**Field office:** {status.field_office} · detained: {'yes' if status.detained else 'no'}",
        f"**Letters in:** `{status.language}`"
        + (
            f" · representative `{status.representative_language}`"
            if status.representative_language
            else ""
        ),
    ]
    if status.history:
        applied = status.history[-1]
        lines.append(
            f"**Last decision:** {inert(applied.name)} by {inert(applied.actor.id)} "
            f"({applied.actor.role}) at {applied.at:%Y-%m-%d %H:%M} UTC"
        )
    if status.finding:
        lines.append(f"**Finding:** {status.finding}")
    if status.missing_items:
        lines.append("**Missing items:** " + ", ".join(status.missing_items))
    open_consultations = [c for c in status.consultations if c.answered_at is None]
    if open_consultations:
        lines.append(
            "**Open consultations:** "
            + ", ".join(f"{c.consultation_id} ({c.party})" for c in open_consultations)
        )
    if status.rejected:
        last = status.rejected[-1]
        who = f"from {inert(last.actor.id)} ({last.actor.role})" if last.actor else "unsigned"
        lines.append(
            f"**Last rejected signal:** {inert(last.name)} {who} at {last.at:%Y-%m-%d %H:%M} UTC: "
            f"{inert(last.reason)}"
        )
    failed = [n for n in status.notices if n.outcome == "FAILED"]
    if failed:
        lines.append("**Failed notices:** " + ", ".join(inert(n.event_key) for n in failed))
    if status.stage is Stage.CLOSED:
        lines.append(CLOSED)
    elif status.next_decisions:
        lines.append(desk(status.next_decisions))
    return "\n\n".join(lines)


CLOSED = (
    "**Closed:** nothing more can be decided or added: a closed case takes no signal or update. "
    "You can still read it here and in the `status` query, open its documents through the "
    "codec server (`/documents/<case id>/<document id>`), see who read them "
    "(`starter.py documents reads`) and the disclosures (`starter.py disclosures`); records "
    "officers answer requests with `starter.py release` (see the staff guide)."
)


def desk(decisions: list[NextDecision]) -> str:
    """The decisions valid now, the awaited ones first: name, who, and the body to copy into
    *Send an Update*, each body a paragraph of its own (inline code, so it wraps in a narrow
    panel) so that a triple-click selects exactly it."""
    rows = [
        "**Decide now:** triple-click a body, Ctrl+C; More Actions → Send an Update → its name "
        "→ click the Data box, Ctrl+V; double-click each `WRITE_…` word and type your text; "
        "click the word Data above the box, then Submit."
    ]
    for d in decisions:
        body = json.dumps(d.body, ensure_ascii=False, separators=(", ", ": ")).replace("`", "'")
        waits = " ← the case waits for this" if d.ends_task else ""
        rows.append(f"**{d.name}** ({', '.join(d.roles)}){waits}:\n\n`{body}`")
    return "\n\n".join(rows)


STATIC_DETAILS = (
    "**How to decide:** *Current Details* (above) lists the decisions valid now, each with a body "
    "to copy: triple-click it, Ctrl+C. More Actions → *Send an Update* → pick that name → click "
    "the Data box, Ctrl+V → double-click each `WRITE_…` word and type your text → click the word "
    "Data above the box → Submit. The dialog closes when the decision is applied or says why "
    "it was refused; press R (or reload) to see *Current Details* move on. Sign in to the codec "
    "server first: it signs the decision as you, so never type your own id.\n\n"
    "**Where it stands:** *Current Details*, or the `status` query on the Queries tab."
)


def static_summary(case_id: str, entry: str, field_office: str, detained: bool) -> str:
    """The UI's summary line, fixed at start."""
    return f"ICR case {case_id}: entered at {entry}, field office {field_office}" + (
        ", detained" if detained else ""
    )
