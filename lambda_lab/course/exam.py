"""Exam practice for notebooks/14-exam-practice: a mixed DVA-C02-style exam drawn from every
question bank, a per-domain report, a cheat sheet of Lambda's limits and "spot the error" items.

Everything is a pure function except the thin ipywidgets views (:func:`exam_widget`,
:func:`spot_widget`) and :func:`record_attempt`, which writes the progress file:

* :func:`sample_exam` draws ``n`` questions with a seed, split across the four domains by the
  exam guide's weights (:data:`DOMAIN_WEIGHTS`), scenario-style questions first;
* :func:`score_exam` grades answers (unanswered counts as wrong, as on the exam) into an
  :class:`ExamReport`: score per domain and the notebooks to revisit, with links;
* :func:`cheat_sheet` renders every quota in :data:`lambda_lab.limits.QUOTAS`, so it cannot drift
  from what the emulator enforces;
* :data:`SPOT_QUESTIONS` and :func:`catch` turn a real emulator error into a question.
"""

from __future__ import annotations

import html
import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lambda_lab import limits
from lambda_lab.course.quiz import (
    Question,
    Result,
    choice_selector,
    grade,
    learner_seed,
    load_bank,
    quiz_box,
    show_feedback,
    shuffle_choices,
)
from lambda_lab.course.topics import TOPICS

__all__ = [
    "DOMAIN_WEIGHTS",
    "EXAM_KEY",
    "LINK_STYLE",
    "SPOT_QUESTIONS",
    "CaughtError",
    "CheatRow",
    "CheatSheet",
    "ExamReport",
    "ExamUI",
    "SpotUI",
    "Tally",
    "catch",
    "cheat_sheet",
    "domain_counts",
    "exam_plan",
    "exam_widget",
    "html_table",
    "is_scenario",
    "one_per_group",
    "record_attempt",
    "sample_exam",
    "score_exam",
    "spot_widget",
    "text_table",
    "topic_title",
]

#: The progress-file key the exam's attempts are recorded under (the notebook's slug).
EXAM_KEY = "10-exam-practice"

#: Share of scored content per domain in the DVA-C02 exam guide (percent). Not read from an AWS
#: page here: several independent copies of the exam guide agree on 32 / 26 / 24 / 18.
DOMAIN_WEIGHTS: dict[str, int] = {
    "Development with AWS Services": 32,
    "Security": 26,
    "Deployment": 24,
    "Troubleshooting and Optimization": 18,
}

_WIDGET_NOTE = "a widget: run this notebook in JupyterLab to use it"
#: Shown under the report: the answers are final once scored.
EXAM_LOCKED = "🔒 This attempt is scored and recorded; run the cell again for a new one."

# --- sampling -----------------------------------------------------------------------------------

_CHOOSE = re.compile(r"\(Choose \w+\.\)\s*$")
_SENTENCE_END = re.compile(r"[.!][\"”')]?\s+\S")


def is_scenario(question: Question) -> bool:
    """True if the prompt sets a scene before it asks (at least one sentence before the question).

    "A function's log shows ... Its work needs about 8 seconds. What fixes it?" is a scenario;
    "What is the default batch size ...?" is a recall question. "(Choose two.)" does not count.
    """
    body = _CHOOSE.sub("", question.prompt).strip()
    return _SENTENCE_END.search(body) is not None


def _apportion(seats: int, weights: Mapping[str, float]) -> dict[str, int]:
    """Largest-remainder split of ``seats`` by ``weights`` (ties: the order of ``weights``)."""
    total = sum(weights.values())
    shares = {d: seats * w / total for d, w in weights.items()}
    counts = {d: int(s) for d, s in shares.items()}
    order = sorted(weights, key=lambda d: -(shares[d] - counts[d]))  # sorted() is stable
    for d in order[: seats - sum(counts.values())]:
        counts[d] += 1
    return counts


def domain_counts(
    n: int, available: Mapping[str, int], weights: Mapping[str, float] = DOMAIN_WEIGHTS
) -> dict[str, int]:
    """How many of ``n`` questions each domain gets: ``n`` split by ``weights`` (largest
    remainder). A domain with fewer questions ``available`` than its share gives all it has,
    and the rest is split again over the other domains by their weights.

    Raises:
        ValueError: ``n`` below 1 or above the questions available, or a weight that is not
            positive.
    """
    if any(w <= 0 for w in weights.values()):
        raise ValueError("every domain weight must be positive")
    have = {d: available.get(d, 0) for d in weights}
    if not 1 <= n <= sum(have.values()):
        raise ValueError(f"cannot draw {n} questions from a bank of {sum(have.values())}")
    counts = dict.fromkeys(weights, 0)
    open_, seats = dict(weights), n
    while open_:
        share = _apportion(seats, open_)
        short = [d for d in open_ if share[d] > have[d]]
        if not short:
            counts.update(share)
            break
        for d in short:  # use it up; split the rest again over the others
            counts[d] = have[d]
            seats -= have[d]
            del open_[d]
    return counts


def one_per_group(questions: Iterable[Question], rng: random.Random) -> list[Question]:
    """``questions`` (sorted by id) with each near-duplicate group reduced to one member, drawn
    with ``rng``; questions without a group all stay."""
    ordered = sorted(questions, key=lambda q: q.id)
    groups: dict[str, list[Question]] = {}
    for q in ordered:
        if q.group is not None:
            groups.setdefault(q.group, []).append(q)
    chosen = {rng.choice(groups[g]).id for g in sorted(groups)}
    return [q for q in ordered if q.group is None or q.id in chosen]


def sample_exam(
    bank: Iterable[Question] | None = None,
    *,
    n: int = 20,
    seed: int = 0,
    weights: Mapping[str, float] = DOMAIN_WEIGHTS,
) -> tuple[Question, ...]:
    """``n`` questions from ``bank`` (default: every bank), split by :func:`domain_counts` and
    drawn with ``random.Random(seed)``: the same bank and seed give the same exam. At most one
    question of each near-duplicate group is drawn (:func:`one_per_group`). Scenario questions
    (:func:`is_scenario`) come first, each group in a seeded random order.

    Raises:
        ValueError: see :func:`domain_counts`.
    """
    rng = random.Random(seed)
    questions = one_per_group(load_bank() if bank is None else bank, rng)
    by_domain = {d: [q for q in questions if q.domain == d] for d in weights}
    counts = domain_counts(n, {d: len(qs) for d, qs in by_domain.items()}, weights)
    picked = [q for d in weights for q in rng.sample(by_domain[d], counts[d])]
    rng.shuffle(picked)
    return tuple(sorted(picked, key=lambda q: not is_scenario(q)))  # stable: order kept


def exam_plan(questions: Sequence[Question], weights: Mapping[str, float] = DOMAIN_WEIGHTS) -> str:
    """Fixed text: questions per domain beside the domain's exam weight."""
    rows = [("Domain", "Exam weight", "Questions")]
    for domain in weights:
        count = sum(q.domain == domain for q in questions)
        rows.append((domain, f"{weights[domain]:g}%", str(count)))
    rows.append(("Total", "", str(len(questions))))
    return text_table(rows, right=(1, 2))


# --- scoring ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """Correct answers out of a number of questions, for one domain or topic."""

    name: str
    correct: int
    total: int

    @property
    def missed(self) -> int:
        return self.total - self.correct

    @property
    def percent(self) -> int:
        return round(100 * self.correct / self.total) if self.total else 0


def topic_title(topic: str) -> str:
    """The title a report prints for ``topic``: "09 — Observability"."""
    number = topic.split("-", 1)[0]
    return f"{number} — {TOPICS[topic]}" if topic in TOPICS else topic


def _topic_order(topic: str) -> tuple[int, str]:
    order = list(TOPICS)
    return (order.index(topic), "") if topic in order else (len(order), topic)


@dataclass(frozen=True, repr=False)
class ExamReport:
    """A graded exam. Shows as :attr:`text` (plain) or an HTML table with links."""

    #: ``(question, result, answered)`` per question, in exam order.
    results: tuple[tuple[Question, Result, bool], ...]
    by_domain: tuple[Tally, ...]
    by_topic: tuple[Tally, ...]
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DOMAIN_WEIGHTS))

    @property
    def correct(self) -> int:
        return sum(result.correct for _, result, _ in self.results)

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def unanswered(self) -> int:
        return sum(not answered for _, _, answered in self.results)

    @property
    def revisit(self) -> tuple[Tally, ...]:
        """Topics with a missed question: most missed first, then in course order."""
        missed = [t for t in self.by_topic if t.missed]
        return tuple(sorted(missed, key=lambda t: (-t.missed, _topic_order(t.name))))

    def _headline(self) -> str:
        percent = round(100 * self.correct / self.total) if self.total else 0
        line = f"Score: {self.correct} / {self.total} ({percent}%)"
        return line + (f", {self.unanswered} not answered" if self.unanswered else "")

    def domain_rows(self) -> list[tuple[str, str, str, str]]:
        """The per-domain table: header, then domain, exam weight, correct / total, percent."""
        rows = [("Domain", "Exam weight", "Correct", "Score")]
        for t in self.by_domain:
            weight = f"{self.weights[t.name]:g}%" if t.name in self.weights else "—"
            rows.append((t.name, weight, f"{t.correct} / {t.total}", f"{t.percent}%"))
        return rows

    @property
    def text(self) -> str:
        lines = [self._headline(), "", text_table(self.domain_rows(), right=(1, 2, 3)), ""]
        if self.revisit:
            lines.append("Revisit:")
            for t in self.revisit:
                lines.append(
                    f"  {topic_title(t.name)}: missed {t.missed} of {t.total}"
                    f" → {t.name}.ipynb"
                )
        else:
            lines.append("Nothing to revisit: every question right.")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        parts = [
            f"<p><b>{html.escape(self._headline())}</b></p>",
            html_table(self.domain_rows(), right=(1, 2, 3)),
        ]
        if self.revisit:
            items = "".join(
                f'<li><a href="{html.escape(t.name)}.ipynb" style="{LINK_STYLE}">'
                f"{html.escape(topic_title(t.name))}</a>: missed {t.missed} of {t.total}</li>"
                for t in self.revisit
            )
            parts.append(f"<p>Revisit:</p><ul>{items}</ul>")
        else:
            parts.append("<p>Nothing to revisit: every question right.</p>")
        return "".join(parts)

    def __repr__(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text


def _tallies(
    results: Sequence[tuple[Question, Result, bool]], key: Callable[[Question], str],
    order: Iterable[str],
) -> tuple[Tally, ...]:
    names = [n for n in order if any(key(q) == n for q, _, _ in results)]
    names += sorted({key(q) for q, _, _ in results} - set(names))
    return tuple(
        Tally(
            name,
            sum(r.correct for q, r, _ in results if key(q) == name),
            sum(key(q) == name for q, _, _ in results),
        )
        for name in names
    )


def score_exam(
    questions: Sequence[Question],
    answers: Mapping[str, int | Iterable[int]],
    weights: Mapping[str, float] = DOMAIN_WEIGHTS,
) -> ExamReport:
    """Grade ``answers`` (question id -> choice index or indices) for ``questions``.

    A question without an answer (missing, or an empty selection) counts as wrong.

    Raises:
        ValueError: an answer to a question that is not in the exam, or a selected index that
            is not one of the question's choices.
    """
    ids = {q.id for q in questions}
    unknown = sorted(set(answers) - ids)
    if unknown:
        raise ValueError(f"answers to questions not in this exam: {unknown}")
    results = []
    for q in questions:
        selected = answers.get(q.id, ())
        picks = (selected,) if isinstance(selected, int) else tuple(selected)
        if picks:
            results.append((q, grade(q, picks), True))
        else:
            labels = tuple(q.label(i) for i in q.answer)
            results.append((q, Result(False, q.feedback, labels), False))
    return ExamReport(
        tuple(results),
        _tallies(results, lambda q: q.domain, weights),
        _tallies(results, lambda q: q.topic, TOPICS),
        dict(weights),
    )


def record_attempt(report: ExamReport, *, path: str | Path | None = None) -> None:
    """Record the attempt in the progress file under :data:`EXAM_KEY` (best score kept), and
    its wrong or unanswered questions in the mistakes list (its right ones leave it)."""
    from lambda_lab.course import progress

    progress.record_quiz(EXAM_KEY, report.correct, report.total, path=path)
    progress.record_mistakes(
        [q.id for q, result, _ in report.results if not result.correct],
        [q.id for q, result, _ in report.results if result.correct],
        path=path,
    )


# --- the cheat sheet ----------------------------------------------------------------------------

#: Readable names for :data:`lambda_lab.limits.QUOTAS` keys; a key without one shows as itself.
_LABELS: dict[str, str] = {
    "memory_min_mb": "Memory, minimum",
    "memory_max_mb": "Memory, maximum",
    "memory_default_mb": "Memory, default",
    "memory_step_mb": "Memory, step",
    "mb_per_vcpu": "Memory for 1 vCPU",
    "max_vcpus": "vCPUs, maximum",
    "timeout_min_s": "Timeout, minimum",
    "timeout_max_s": "Timeout, maximum",
    "timeout_default_s": "Timeout, default",
    "ephemeral_min_mb": "/tmp (ephemeral storage), minimum",
    "ephemeral_max_mb": "/tmp (ephemeral storage), maximum",
    "ephemeral_default_mb": "/tmp (ephemeral storage), default",
    "env_vars_max_bytes": "Environment variables, all together",
    "layers_max": "Layers per function",
    "zipped_max_bytes": ".zip package, zipped (direct upload)",
    "unzipped_max_bytes": ".zip package, unzipped (with layers)",
    "console_editor_max_bytes": "Console code editor",
    "container_image_max_bytes": "Container image",
    "sync_payload_max_bytes": "Synchronous invoke payload (request)",
    "response_payload_max_bytes": "Synchronous invoke response",
    "async_payload_max_bytes": "Asynchronous invoke payload",
    "account_concurrency_default": "Account concurrency per Region (default)",
    "unreserved_concurrency_min": "Unreserved concurrency, minimum",
    "scaling_rate": "Scaling rate",
    "invoke_requests_per_s": "Invoke request rate",
    "init_timeout_s": "Init phase (on-demand)",
    "async_retries_max": "Async retries, maximum",
    "async_event_age_max_s": "Async event age, maximum",
    "billing_granularity_ms": "Billing granularity",
    "free_tier_requests": "Free tier, requests",
    "free_tier_gb_seconds": "Free tier, compute",
    "sqs_standard_scale_up": "SQS standard queue scale-up",
    "stream_retry_attempts_default": "Stream retry attempts (default)",
}

_KiB, _MiB, _GiB = 1024, 1024**2, 1024**3


def _bytes(n: int) -> str:
    exact = f"{n:,} bytes"
    for size, name in ((_GiB, "GB"), (_MiB, "MB"), (_KiB, "KB")):
        if n >= size and n % size == 0:
            return f"{n // size:,} {name} ({exact})"
    if n > _MiB and n % _MiB < _KiB:
        return f"{n // _MiB} MB + {n % _MiB} bytes ({exact})"
    return exact


def _seconds(n: int) -> str:
    if n >= 3600 and n % 3600 == 0:
        return f"{n:,} s ({n // 3600} h)"
    if n >= 60 and n % 60 == 0:
        return f"{n:,} s ({n // 60} min)"
    return f"{n:,} s"


def _quota_value(value: object, unit: str) -> str:
    """One quota value in words: bytes as KB/MB/GB with the exact count, seconds with minutes."""
    if isinstance(value, bool) or value is None:
        return "—" if value is None else str(value)
    if isinstance(value, int):
        if unit == "bytes":
            return _bytes(value)
        if unit == "s":
            return _seconds(value)
        return f"{value:,} {unit}"
    if isinstance(value, float):
        return f"{value:g} {unit}"
    return str(value) if unit in ("rate", "bytes") else f"{value} {unit}"


@dataclass(frozen=True)
class CheatRow:
    """One line of the cheat sheet."""

    key: str
    label: str
    today: str
    #: The 2020 notes' value where it differs from today's, else "—".
    notes_2020: str
    changed: str
    source: str


@dataclass(frozen=True, repr=False)
class CheatSheet:
    """Every quota, as fixed-width text (plain) or an HTML table."""

    rows: tuple[CheatRow, ...]

    _HEADER = ("Limit", "Today", "2020 notes (if different)", "Changed", "Documented in")

    def _cells(self) -> list[tuple[str, ...]]:
        return [(r.label, r.today, r.notes_2020, r.changed, r.source) for r in self.rows]

    @property
    def text(self) -> str:
        return text_table([self._HEADER, *self._cells()])

    def _repr_html_(self) -> str:
        return html_table([self._HEADER, *self._cells()])

    def __repr__(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text


def cheat_sheet(quotas: Mapping[str, limits.Quota] | None = None) -> CheatSheet:
    """Every quota in ``quotas`` (default :data:`lambda_lab.limits.QUOTAS`), in table order."""
    rows = []
    for key, q in (limits.QUOTAS if quotas is None else quotas).items():
        # The unit may carry a note about today's value, e.g. "attempts (-1 = until expiry)".
        old_unit = re.sub(r"\s*\(.*\)$", "", q.unit)
        notes = "—" if q.notes_2020 is None else _quota_value(q.notes_2020, old_unit)
        rows.append(
            CheatRow(key, _LABELS.get(key, key), _quota_value(q.current, q.unit), notes,
                     q.changed or "—", q.source or "—")
        )
    return CheatSheet(tuple(rows))


#: Links in widget HTML are not styled by JupyterLab; this matches its links in Markdown.
LINK_STYLE = "color: var(--jp-content-link-color, #1976d2); text-decoration: underline"


#: Tables fit the page: cells wrap, no column wider than 16em (five columns fit in 1,200 px).
_TABLE_STYLE = "table-layout: auto; max-width: 100%"
_CELL_STYLE = "white-space: normal; overflow-wrap: break-word; max-width: 16em; vertical-align: top"


def html_table(rows: Sequence[Sequence[str]], right: Iterable[int] = ()) -> str:
    """An HTML table, header first; text left-aligned, columns in ``right`` right-aligned
    (JupyterLab right-aligns every cell otherwise)."""
    right = set(right)

    def row(cells: Sequence[str], tag: str) -> str:
        return "<tr>" + "".join(
            f'<{tag} style="text-align: {"right" if i in right else "left"}; {_CELL_STYLE}">'
            f"{html.escape(c)}</{tag}>"
            for i, c in enumerate(cells)
        ) + "</tr>"

    body = "".join(row(r, "td") for r in rows[1:])
    return (
        f'<table style="{_TABLE_STYLE}"><thead>{row(rows[0], "th")}</thead>'
        f"<tbody>{body}</tbody></table>"
    )


def text_table(rows: Sequence[Sequence[str]], right: Iterable[int] = ()) -> str:
    """Fixed-width columns, a rule under the header; columns in ``right`` are right-aligned."""
    right = set(right)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]

    def line(cells: Sequence[str]) -> str:
        parts = [c.rjust(w) if i in right else c.ljust(w)
                 for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return "  ".join(parts).rstrip()

    out = [line(r) for r in rows]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


# --- spot the error -----------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class CaughtError:
    """The AWS error a call raised (``code`` is None if it raised nothing)."""

    code: str | None
    status: int | None
    message: str

    #: Longer messages (the 4 KB one quotes the whole environment) are cut in :attr:`text`.
    MAX_SHOWN = 240

    @property
    def text(self) -> str:
        if self.code is None:
            return "No error: the call succeeded."
        message = self.message
        if len(message) > self.MAX_SHOWN:
            message = f"{message[: self.MAX_SHOWN]}… ({len(self.message):,} characters in all)"
        return f"{self.code} (HTTP {self.status}): {message}"

    def __repr__(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text


def catch(call: Callable[[], object]) -> CaughtError:
    """Run ``call`` and return the Lambda error it raised, from the native API (a
    :class:`lambda_lab.errors.LambdaError`) or from boto3 (a botocore ``ClientError``).

    Any other exception propagates: it is a bug, not a Lambda limit.
    """
    from lambda_lab.errors import LambdaError

    try:
        call()
    except LambdaError as error:
        return CaughtError(error.code, error.status, error.message)
    except Exception as error:
        response = getattr(error, "response", None)
        if not isinstance(response, dict) or "Error" not in response:
            raise
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        body = response["Error"]
        return CaughtError(body.get("Code"), status, body.get("Message", ""))
    return CaughtError(None, None, "")


def _spot(qid: str, topic: str, domain: str, choices: Sequence[str], explanation: str) -> Question:
    """A question whose right answer is ``choices[0]``, choices shuffled by a fixed seed."""
    order = list(range(len(choices)))
    random.Random(qid).shuffle(order)
    return Question(
        id=qid, topic=topic, domain=domain, prompt="Which limit did this call run into?",
        choices=tuple(choices[i] for i in order), answer=(order.index(0),),
        explanation=" ".join(explanation.split()),
    )


#: The "spot the error" questions, by id. The right choice is listed first here and the choices
#: are then shuffled (a fixed order per id). Values come from :mod:`lambda_lab.limits`.
_KB_ENV = limits.ENV_VARS_MAX_BYTES // _KiB
_MB_SYNC = limits.SYNC_PAYLOAD_MAX_BYTES // _MiB
_MB_ASYNC = limits.ASYNC_PAYLOAD_MAX_BYTES // _MiB
SPOT_QUESTIONS: dict[str, Question] = {
    q.id: q
    for q in (
        _spot(
            "spot-timeout", "02-memory-cpu-timeout", "Development with AWS Services",
            [
                f"Function timeout: {limits.TIMEOUT_MIN_S}–{limits.TIMEOUT_MAX_S} seconds",
                f"Init phase: {limits.INIT_TIMEOUT_S} seconds",
                "Async event age: at most 21,600 seconds (6 hours)",
                "The SQS visibility timeout must be at least the function timeout",
            ],
            f"""The timeout is {limits.TIMEOUT_MIN_S} to {limits.TIMEOUT_MAX_S} seconds
            (15 minutes), default {limits.TIMEOUT_DEFAULT_S}. A value out of range fails
            validation (ValidationException, HTTP 400) before anything is deployed: the message
            names the field and the bound.""",
        ),
        _spot(
            "spot-env", "03-execution-context", "Development with AWS Services",
            [
                f"Environment variables: {_KB_ENV} KB for all of them together",
                f"Each environment variable's value: {_KB_ENV} KB",
                f"Synchronous payload: {_MB_SYNC} MB",
                f"/tmp: {limits.EPHEMERAL_DEFAULT_MB} MB by default",
            ],
            f"""Environment variables share one {_KB_ENV} KB limit, measured over the whole map
            (keys and values together), not per variable: the error
            (InvalidParameterValueException) quotes the string it measured. Keep large
            configuration elsewhere (a file in the package, a layer, or a parameter store).""",
        ),
        _spot(
            "spot-sqs-batch", "05-event-sources", "Troubleshooting and Optimization",
            [
                "SQS batch size: over 10 needs MaximumBatchingWindowInSeconds of at least 1 s",
                "SQS FIFO queues: at most 10 messages per batch",
                "Kinesis batch size: at most 10,000 records",
                f"Asynchronous payload: {_MB_ASYNC} MB",
            ],
            """An SQS mapping's batch size defaults to 10. A standard queue allows up to 10,000,
            but only with a batching window (MaximumBatchingWindowInSeconds ≥ 1), so that Lambda
            has time to gather a bigger batch; FIFO queues stay at 10. The queue here is a
            standard one.""",
        ),
        _spot(
            "spot-payload", "01-first-function", "Troubleshooting and Optimization",
            [
                f"Synchronous invoke: {_MB_SYNC} MB per request",
                f"Asynchronous invoke: {_MB_ASYNC} MB per event",
                f".zip package: {limits.ZIPPED_MAX_BYTES // _MiB} MB zipped",
                f"Environment variables: {_KB_ENV} KB",
            ],
            f"""A synchronous (RequestResponse) request may carry at most {_MB_SYNC} MB
            ({limits.SYNC_PAYLOAD_MAX_BYTES:,} bytes); more is RequestEntityTooLargeException,
            HTTP 413, and the function never runs. An asynchronous event may carry
            {_MB_ASYNC} MB. Put big data in S3 and pass its key.""",
        ),
    )
}


# --- widgets --------------------------------------------------------------------------------------


_show = show_feedback
_selector = choice_selector


def _picked(selector: Any, boxes: Sequence[Any]) -> tuple[int, ...]:
    if boxes:
        return tuple(i for i, box in enumerate(boxes) if box.value)
    return () if selector.value is None else (selector.value,)


@dataclass
class ExamUI:
    """The practice exam's widgets: answer the cards, then press :attr:`finish`.

    Finishing grades every card (with its explanation), shows the :class:`ExamReport` and, the
    first time only, records the attempt in the progress file. The plain-text form is fixed.
    """

    questions: tuple[Question, ...]
    seed: int
    box: Any
    selectors: tuple[Any, ...]
    checkboxes: tuple[tuple[Any, ...], ...]
    outputs: tuple[Any, ...]
    finish: Any
    report_view: Any
    record: bool = True
    progress_path: str | Path | None = None
    #: The report of the last finish, or None.
    report: ExamReport | None = None

    def answers(self) -> dict[str, tuple[int, ...]]:
        """What is selected now, by question id (choice indices)."""
        return {
            q.id: _picked(sel, boxes)
            for q, sel, boxes in zip(self.questions, self.selectors, self.checkboxes, strict=True)
        }

    def grade(self) -> ExamReport:
        """Grade the current answers, show the feedback and the report, record the attempt and
        lock the exam. Once locked, the first report stands (a new attempt is a new widget)."""
        if self.report is not None:
            return self.report
        report = score_exam(self.questions, self.answers())
        for (_, result, answered), output in zip(report.results, self.outputs, strict=True):
            if answered:
                _show(output, result.text)
            else:
                answer = "; ".join(result.answer_labels).rstrip(".")
                _show(output, f"⏸ Not answered. Answer: {answer}. {result.explanation}")
        self.report_view.value = report._repr_html_() + f"<p><i>{html.escape(EXAM_LOCKED)}</i></p>"
        self.report = report
        for widget in (*self.selectors, *(b for boxes in self.checkboxes for b in boxes)):
            widget.disabled = True
        self.finish.disabled = True
        if self.record:
            record_attempt(report, path=self.progress_path)
        return report

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(self.box._repr_mimebundle_(**kwargs))
        bundle["text/plain"] = (
            f"Practice exam: {len(self.questions)} questions, seed {self.seed} ({_WIDGET_NOTE})"
        )
        return bundle


def exam_widget(
    n: int = 20,
    seed: int = 0,
    *,
    bank: Iterable[Question] | None = None,
    record: bool = True,
    progress_path: str | Path | None = None,
    shuffle: bool = True,
    choice_seed: int | None = None,
) -> ExamUI:
    """Build the practice exam (:func:`sample_exam` of ``n`` questions with ``seed``) as widgets.

    With ``shuffle`` (the default) each question's choices are in the learner's order
    (``choice_seed``, else the progress file's seed: :func:`.quiz.learner_seed`).

    Raises:
        ValueError: see :func:`domain_counts`.
    """
    import ipywidgets as widgets

    questions = sample_exam(bank, n=n, seed=seed)
    if shuffle:
        if choice_seed is None:
            choice_seed = learner_seed(record=record, progress_path=progress_path)
        questions = tuple(shuffle_choices(q, choice_seed) for q in questions)
    cards, selectors, checkboxes, outputs = [], [], [], []
    for number, q in enumerate(questions, start=1):
        selector, boxes = _selector(q)
        output = widgets.HTML(layout=widgets.Layout(min_height="2em"))
        cards.append(widgets.VBox([
            widgets.HTML(f"<b>Q{number}.</b> {html.escape(q.prompt)}"), selector, output,
        ]))
        selectors.append(selector)
        checkboxes.append(boxes)
        outputs.append(output)
    finish = widgets.Button(description="Finish and score", button_style="primary")
    report_view = widgets.HTML("")
    ui = ExamUI(questions, seed, quiz_box([*cards, finish, report_view]), tuple(selectors),
                tuple(checkboxes), tuple(outputs), finish, report_view, record, progress_path)

    def on_finish(_button: Any) -> None:
        try:
            ui.grade()
        except Exception as exc:  # a callback's exception would vanish into the kernel log
            ui.report_view.value = html.escape(f"Something went wrong: {type(exc).__name__}: {exc}")

    finish.on_click(on_finish)
    return ui


@dataclass
class SpotUI:
    """One "spot the error" item: the error, the question, a Check button and its feedback."""

    question: Question
    error: CaughtError
    box: Any
    selector: Any
    check: Any
    output: Any

    def answer(self) -> Result | None:
        """Grade the current choice and show the feedback (None if nothing is chosen)."""
        if self.selector.value is None:
            _show(self.output, "Pick an answer first.")
            return None
        result = grade(self.question, self.selector.value)
        _show(self.output, f"{result.text} More in {self.question.topic}.ipynb.")
        return result

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(self.box._repr_mimebundle_(**kwargs))
        bundle["text/plain"] = (
            f"{self.error.text}\n{self.question.prompt} ({_WIDGET_NOTE})"
        )
        return bundle


def spot_widget(spot_id: str, error: CaughtError) -> SpotUI:
    """The question :data:`SPOT_QUESTIONS` ``[spot_id]`` under the ``error`` a live cell caught.

    Raises:
        KeyError: an unknown ``spot_id``.
    """
    import ipywidgets as widgets

    question = SPOT_QUESTIONS[spot_id]
    selector, _ = _selector(question)
    check = widgets.Button(description="Check")
    output = widgets.HTML(layout=widgets.Layout(min_height="2em"))
    shown = html.escape(error.text)
    box = quiz_box([
        widgets.HTML(f"<pre style='white-space: pre-wrap'>{shown}</pre>"
                     f"<b>{html.escape(question.prompt)}</b>"),
        selector, check, output,
    ])
    ui = SpotUI(question, error, box, selector, check, output)

    def on_check(_button: Any) -> None:
        try:
            ui.answer()
        except Exception as exc:  # a callback's exception would vanish into the kernel log
            _show(output, f"Something went wrong: {type(exc).__name__}: {exc}")

    check.on_click(on_check)
    return ui
