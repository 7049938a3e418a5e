"""Small helpers the notebooks call: a chapter's quiz and "2020 notes vs today" tables.

Everything shown has a fixed text form, so nbval can compare it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lambda_lab import limits

__all__ = ["QuotaTable", "chapter_quiz", "notes_vs_today"]


def chapter_quiz(topic: str, ids: Iterable[str] | None = None, n: int = 5, **kwargs: Any) -> Any:
    """The quiz widget for ``topic`` with ``n`` questions: those in ``ids``, else the first ``n``.

    The bank may hold more questions than a chapter asks (see each chapter's ``questions.yaml``).

    Raises:
        ValueError: an id that is not one of the topic's questions, or too few questions.
    """
    from lambda_lab.course.quiz import load_bank, quiz_widget

    questions = [q for q in load_bank() if q.topic == topic]
    if ids is not None:
        by_id = {q.id: q for q in questions}
        wanted = list(ids)
        unknown = [i for i in wanted if i not in by_id]
        if unknown:
            raise ValueError(f"no questions {unknown} in topic {topic!r}")
        questions = [by_id[i] for i in wanted]
    if len(questions) < n:
        raise ValueError(f"topic {topic!r} has {len(questions)} questions, fewer than {n}")
    return quiz_widget(topic, bank=questions[:n], **kwargs)


def _value(value: object, unit: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,} {unit}"
    return f"{value} {unit}" if value is not None else "—"


@dataclass(frozen=True, repr=False)
class QuotaTable:
    """Rows of a quota table, header first: an HTML table whose cells wrap (so it fits the page),
    and a fixed-width text form (what nbval compares)."""

    rows: tuple[tuple[str, ...], ...]

    @property
    def text(self) -> str:
        widths = [max(len(r[i]) for r in self.rows) for i in range(len(self.rows[0]))]
        lines = [
            "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            for r in self.rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from lambda_lab.course.exam import html_table

        return html_table(self.rows)

    def __repr__(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text


def notes_vs_today(keys: Iterable[str]) -> QuotaTable:
    """A table of quotas from :data:`lambda_lab.limits.QUOTAS`: today's value, what the 2020
    notes say where it differs, when it changed and where it is documented.

    Raises:
        KeyError: an unknown quota key.
    """
    rows = [("Quota", "Today", "2020 notes", "Changed", "Documented in")]
    for key in keys:
        q = limits.QUOTAS[key]
        notes = "same" if q.notes_2020 is None else _value(q.notes_2020, q.unit)
        rows.append((key, _value(q.current, q.unit), notes, q.changed or "—", q.source))
    return QuotaTable(tuple(rows))
