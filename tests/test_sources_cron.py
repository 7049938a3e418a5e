"""EventBridge schedule expressions (``lambda_lab.sources.cron``): AWS's six-field cron with
``?``, ``L``, ``W`` and ``#`` in UTC, and ``rate(…)`` with its singular/plural rule."""

from __future__ import annotations

import datetime as dt

import pytest

from lambda_lab.sources.cron import Cron, InvalidSchedule, Rate, parse


def ts(text: str) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc).timestamp()


def fires(expression: str, start: str, n: int = 3) -> list[str]:
    schedule, t, out = parse(expression), ts(start), []
    for _ in range(n):
        t = schedule.next_after(t, ts(start))
        out.append(dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%a %Y-%m-%d %H:%M"))
    return out


@pytest.mark.parametrize("expression, seconds", [
    ("rate(1 minute)", 60), ("rate(5 minutes)", 300), ("rate(1 hour)", 3600),
    ("rate(12 hours)", 43_200), ("rate(1 day)", 86_400), ("rate(7 days)", 604_800),
])
def test_rate(expression, seconds):
    schedule = parse(expression)
    assert isinstance(schedule, Rate) and schedule.seconds == seconds


def test_rate_counts_from_the_rule_creation_on_a_whole_minute():
    schedule = parse("rate(5 minutes)")
    anchor = ts("2026-01-01T10:02:30")
    first = schedule.next_after(anchor, anchor)
    assert first == ts("2026-01-01T10:07:00")
    assert schedule.next_after(first, anchor) == ts("2026-01-01T10:12:00")


@pytest.mark.parametrize("expression", [
    "rate(1 minutes)", "rate(5 minute)", "rate(0 minutes)", "rate(-1 minutes)",
    "rate(5 seconds)", "rate(5  minutes)", "rate(five minutes)", "rate(1 week)", "rate()",
    "every 5 minutes", "",
    "cron(0 10 * * *)",  # five fields
    "cron(0 10 * * ? * *)",  # seven
    "cron(0 10 * * * *)",  # no ?
    "cron(0 10 ? * ? *)",  # two ?
    "cron(7 20 * * 1-7 *)",
    "cron(0/10 * ? * *)",
    "cron(15 12 ? * -1 *)",
    "cron(60 * * * ? *)", "cron(0 24 * * ? *)", "cron(0 0 32 * ? *)", "cron(0 0 0 * ? *)",
    "cron(0 0 * 13 ? *)", "cron(0 0 ? * 8 *)", "cron(0 0 ? * 0 *)", "cron(0 0 * * ? 1969)",
    "cron(0 0 * * ? 2200)", "cron(0 0 ? * 2#6 *)", "cron(0 0 32W * ? *)", "cron(a 0 * * ? *)",
    "cron(0 0 ? * FOO *)", "cron(0/0 * * * ? *)",
])
def test_invalid_expressions(expression):
    with pytest.raises(InvalidSchedule):
        parse(expression)


def test_every_day_at_ten_utc():
    assert isinstance(parse("cron(0 10 * * ? *)"), Cron)
    assert fires("cron(0 10 * * ? *)", "2026-01-01T10:00") == [
        "Fri 2026-01-02 10:00", "Sat 2026-01-03 10:00", "Sun 2026-01-04 10:00"]


def test_increments_and_ranges():
    assert fires("cron(0/15 * * * ? *)", "2026-01-01T00:00") == [
        "Thu 2026-01-01 00:15", "Thu 2026-01-01 00:30", "Thu 2026-01-01 00:45"]
    assert fires("cron(5-20/5 8 * * ? *)", "2026-01-01T00:00", 5) == [
        "Thu 2026-01-01 08:05", "Thu 2026-01-01 08:10", "Thu 2026-01-01 08:15",
        "Thu 2026-01-01 08:20", "Fri 2026-01-02 08:05"]
    assert fires("cron(0 18 ? * MON-FRI *)", "2026-01-01T00:00") == [
        "Thu 2026-01-01 18:00", "Fri 2026-01-02 18:00", "Mon 2026-01-05 18:00"]
    assert fires("cron(0 8 1,15 JAN,jul ? *)", "2026-01-01T00:00") == [
        "Thu 2026-01-01 08:00", "Thu 2026-01-15 08:00", "Wed 2026-07-01 08:00"]
    assert fires("cron(0 0 ? * 1 *)", "2026-01-01T00:00", 1) == ["Sun 2026-01-04 00:00"]
    assert fires("cron(0 0 ? * FRI-MON *)", "2026-01-01T00:00", 4) == [
        "Fri 2026-01-02 00:00", "Sat 2026-01-03 00:00", "Sun 2026-01-04 00:00",
        "Mon 2026-01-05 00:00"]


def test_last_day_and_last_weekday_of_the_month():
    assert fires("cron(0 0 L * ? *)", "2026-01-01T00:00") == [
        "Sat 2026-01-31 00:00", "Sat 2026-02-28 00:00", "Tue 2026-03-31 00:00"]
    assert fires("cron(0 0 L 2 ? 2027-2029)", "2026-01-01T00:00") == [
        "Sun 2027-02-28 00:00", "Tue 2028-02-29 00:00", "Wed 2029-02-28 00:00"]
    assert fires("cron(0 0 LW * ? *)", "2026-01-01T00:00") == [
        "Fri 2026-01-30 00:00", "Fri 2026-02-27 00:00", "Tue 2026-03-31 00:00"]
    assert fires("cron(15 12 ? * 6L *)", "2026-01-01T00:00") == [
        "Fri 2026-01-30 12:15", "Fri 2026-02-27 12:15", "Fri 2026-03-27 12:15"]
    assert fires("cron(0 0 ? * L *)", "2026-01-01T00:00", 1) == ["Sat 2026-01-03 00:00"]


def test_nearest_weekday_stays_in_the_month():
    # 2026-02-01 and 2026-03-01 are Sundays -> Monday the 2nd; 2026-08-01 is a Saturday ->
    # Monday the 3rd (not Friday in July); 2026-01-31 is a Saturday -> Friday the 30th.
    assert fires("cron(0 0 1W * ? *)", "2026-01-01T00:00") == [
        "Mon 2026-02-02 00:00", "Mon 2026-03-02 00:00", "Wed 2026-04-01 00:00"]
    assert fires("cron(0 0 1W 8 ? *)", "2026-01-01T00:00", 1) == ["Mon 2026-08-03 00:00"]
    assert fires("cron(0 0 31W 1 ? *)", "2026-01-01T00:00", 1) == ["Fri 2026-01-30 00:00"]
    assert fires("cron(0 0 15W * ? *)", "2026-03-01T00:00", 1) == ["Mon 2026-03-16 00:00"]


def test_nth_weekday():
    assert fires("cron(0 8 ? * 3#2 *)", "2026-01-01T00:00") == [
        "Tue 2026-01-13 08:00", "Tue 2026-02-10 08:00", "Tue 2026-03-10 08:00"]
    # a fifth Friday exists only in some months
    assert fires("cron(0 0 ? * FRI#5 *)", "2026-01-01T00:00", 2) == [
        "Fri 2026-01-30 00:00", "Fri 2026-05-29 00:00"]


def test_years_and_never_again():
    assert fires("cron(0 0 29 2 ? *)", "2026-01-01T00:00", 2) == [
        "Tue 2028-02-29 00:00", "Sun 2032-02-29 00:00"]
    schedule = parse("cron(0 0 1 1 ? 2026)")
    assert schedule.next_after(ts("2026-01-01T00:00")) is None
    assert schedule.next_after(ts("2025-12-31T23:59:30")) == ts("2026-01-01T00:00")
