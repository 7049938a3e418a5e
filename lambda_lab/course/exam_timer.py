"""The mock exam's optional countdown: pure logic over an injectable clock.

The real DVA-C02 exam gives 130 minutes for 65 questions (AWS Certification, "AWS Certified
Developer – Associate": https://aws.amazon.com/certification/certified-developer-associate/).
:class:`ExamTimer` only reads its ``clock`` (any function returning seconds, by default
:func:`time.monotonic`), so tests drive it with a fake clock and never sleep; the widget in
:mod:`lambda_lab.course.mock_exam` asks it for the time left once a second.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["EXAM_MINUTES", "ExamTimer", "format_left"]

#: Minutes the real exam allows for its 65 questions.
EXAM_MINUTES = 130


def format_left(seconds: float) -> str:
    """``"2:09:59"``: hours, minutes and whole seconds left (never below 0:00:00)."""
    whole = max(0, int(seconds))
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


@dataclass
class ExamTimer:
    """A countdown of ``minutes`` that starts when :meth:`start` is called.

    Not started, it never expires. :meth:`stop` freezes it (the exam was finished early).
    """

    minutes: float = EXAM_MINUTES
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    started_at: float | None = None
    stopped_at: float | None = None

    def __post_init__(self) -> None:
        if self.minutes <= 0:
            raise ValueError(f"an exam timer needs a positive length, not {self.minutes} minutes")

    @property
    def running(self) -> bool:
        return self.started_at is not None and self.stopped_at is None

    def start(self) -> None:
        """Start counting down (a second call does nothing: the time already spent stays)."""
        if self.started_at is None:
            self.started_at = self.clock()

    def stop(self) -> None:
        """Stop counting: :meth:`left` stays where it is."""
        if self.running:
            self.stopped_at = self.clock()

    def elapsed(self) -> float:
        """Seconds counted so far (0 before :meth:`start`)."""
        if self.started_at is None:
            return 0.0
        now = self.clock() if self.stopped_at is None else self.stopped_at
        return max(0.0, now - self.started_at)

    def left(self) -> float:
        """Seconds left, never below 0 (the full time before :meth:`start`)."""
        return max(0.0, self.minutes * 60 - self.elapsed())

    def expired(self) -> bool:
        """True once a started timer has reached 0."""
        return self.started_at is not None and self.left() <= 0

    def text(self) -> str:
        """What the exam shows: ``"⏱ Time left: 1:59:30"``, or that time is up."""
        if self.expired():
            return "⏱ Time is up."
        return f"⏱ Time left: {format_left(self.left())}"
