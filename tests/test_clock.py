"""The clock and scheduler: VirtualClock (moves when told) and RealTimeClock (follows real time)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from lambda_lab.clock import (
    ClockCallbackError,
    RealTimeClock,
    VirtualClock,
    default_clock,
    set_default_clock,
)

START = 1_000_000.0


@pytest.fixture
def clock() -> Iterator[VirtualClock]:
    with VirtualClock(start=START) as c:
        yield c


@pytest.fixture
def rt() -> Iterator[RealTimeClock]:
    c = RealTimeClock()
    yield c
    c.close()


def clock_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "lambda-lab-clock"]


# -- VirtualClock ---------------------------------------------------------------------------


def test_time_moves_only_when_told(clock: VirtualClock) -> None:
    assert clock.now() == START
    time.sleep(0.01)
    assert clock.now() == START
    clock.advance(2.5)
    assert clock.now() == START + 2.5


def test_default_start_is_real_time_now() -> None:
    before = time.time()
    assert before <= VirtualClock().now() <= time.time()


def test_timers_run_in_time_order(clock: VirtualClock) -> None:
    ran: list[str] = []
    clock.call_later(3, ran.append, "c")
    clock.call_later(1, ran.append, "a")
    clock.call_at(START + 2, ran.append, "b")
    clock.advance(10)
    assert ran == ["a", "b", "c"]


def test_ties_break_by_priority_then_insertion(clock: VirtualClock) -> None:
    ran: list[str] = []
    clock.call_later(1, ran.append, "normal-1", priority=1)
    clock.call_later(1, ran.append, "urgent-1", priority=0)
    clock.call_later(1, ran.append, "normal-2", priority=1)
    clock.call_later(1, ran.append, "urgent-2", priority=0)
    clock.advance(1)
    assert ran == ["urgent-1", "urgent-2", "normal-1", "normal-2"]


def test_time_is_the_due_time_while_a_callback_runs(clock: VirtualClock) -> None:
    seen: list[float] = []
    clock.call_later(7, lambda: seen.append(clock.now()))
    clock.advance(100)
    assert seen == [START + 7]
    assert clock.now() == START + 100


def test_cancelled_timer_does_not_run(clock: VirtualClock) -> None:
    ran: list[str] = []
    timer = clock.call_later(1, ran.append, "x")
    assert timer.cancel() is True
    assert timer.cancel() is False
    assert clock.pending() == 0 and clock.next_due() is None
    assert clock.advance(5) == 0 and ran == []


def test_timers_scheduled_by_callbacks_inside_the_window_also_run(clock: VirtualClock) -> None:
    times: list[float] = []

    def tick() -> None:
        times.append(clock.now() - START)
        clock.call_later(10, tick)

    clock.call_later(10, tick)
    clock.advance(35)
    assert times == [10, 20, 30]
    assert clock.pending() == 1 and clock.next_due() == START + 40


def test_advance_returns_the_number_of_callbacks_run(clock: VirtualClock) -> None:
    for delay in (1, 2, 3, 50):
        clock.call_later(delay, lambda: None)
    assert clock.advance(10) == 3
    assert clock.advance(0) == 0


def test_negative_advance_is_rejected(clock: VirtualClock) -> None:
    with pytest.raises(ValueError):
        clock.advance(-1)
    assert clock.now() == START


def test_callback_errors_are_collected_not_lost(clock: VirtualClock) -> None:
    ran: list[str] = []

    def boom(msg: str) -> None:
        raise RuntimeError(msg)

    clock.call_later(1, boom, "first")
    clock.call_later(2, ran.append, "survivor")
    clock.call_later(3, boom, "second")
    with pytest.raises(ClockCallbackError) as info:
        clock.advance(10)
    assert [str(e) for e in info.value.errors] == ["first", "second"]
    assert ran == ["survivor"]
    assert clock.now() == START + 10
    assert clock.advance(1) == 0  # reported once, not again


def test_on_error_receives_callback_errors_instead() -> None:
    received: list[BaseException] = []
    clock = VirtualClock(start=START, on_error=received.append)
    clock.call_later(1, lambda: 1 / 0)
    assert clock.advance(1) == 1
    assert isinstance(received[0], ZeroDivisionError)


def test_run_due_runs_only_what_is_due_now(clock: VirtualClock) -> None:
    ran: list[str] = []
    clock.call_at(START - 5, ran.append, "overdue")
    clock.call_later(0, ran.append, "now")
    clock.call_later(1, ran.append, "later")
    assert clock.run_due() == 2
    assert ran == ["overdue", "now"]
    assert clock.now() == START  # a past timer never moves time backwards


def test_run_until_an_absolute_time(clock: VirtualClock) -> None:
    clock.call_later(5, lambda: None)
    assert clock.run_until(START + 5) == 1
    assert clock.now() == START + 5
    assert clock.run_until(START) == 0 and clock.now() == START + 5


def test_scheduling_from_many_threads_is_safe(clock: VirtualClock) -> None:
    def schedule() -> None:
        for i in range(200):
            clock.call_later(i % 7, lambda: None)

    threads = [threading.Thread(target=schedule) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert clock.pending() == 1600
    assert clock.advance(7) == 1600


def test_sleep_on_a_virtual_clock_advances(clock: VirtualClock) -> None:
    ran: list[int] = []
    clock.call_later(30, ran.append, 1)
    clock.sleep(60)
    assert ran == [1] and clock.now() == START + 60


def test_a_closed_clock_discards_timers_and_refuses_new_ones() -> None:
    clock = VirtualClock(start=START)
    timer = clock.call_later(1, lambda: None)
    with clock:
        pass
    assert clock.closed and not timer.active and clock.pending() == 0
    with pytest.raises(RuntimeError):
        clock.call_later(1, lambda: None)


# -- RealTimeClock --------------------------------------------------------------------------


def test_real_time_clock_follows_real_time(rt: RealTimeClock) -> None:
    assert abs(rt.now() - time.time()) < 0.05
    assert abs(RealTimeClock(start=START).now() - START) < 0.05


def test_real_time_clock_fires_a_timer_on_its_own(rt: RealTimeClock) -> None:
    fired = threading.Event()
    started = time.monotonic()
    rt.call_later(0.05, fired.set)
    assert fired.wait(2)
    assert time.monotonic() - started >= 0.045


def test_real_time_advance_runs_due_timers_now_and_jumps_time(rt: RealTimeClock) -> None:
    ran_in: list[threading.Thread] = []
    before = rt.now()
    rt.call_later(60, lambda: ran_in.append(threading.current_thread()))
    rt.call_later(7200, lambda: None)
    assert rt.advance(3600) == 1
    assert ran_in == [threading.current_thread()]  # ran in the caller, before advance returned
    assert 3600 <= rt.now() - before < 3600.5
    assert rt.pending() == 1


def test_background_errors_are_raised_by_the_next_advance(rt: RealTimeClock) -> None:
    reached = threading.Event()

    def boom() -> None:
        reached.set()
        raise RuntimeError("in the background")

    rt.call_later(0.01, boom)
    assert reached.wait(2)
    with pytest.raises(ClockCallbackError) as info:
        rt.advance(0)
    assert str(info.value.errors[0]) == "in the background"


def test_real_sleep_really_waits(rt: RealTimeClock) -> None:
    started = time.monotonic()
    rt.sleep(0.03)
    assert time.monotonic() - started >= 0.025


def test_close_stops_the_background_thread() -> None:
    before = set(clock_threads())  # other clocks (the shared default) may be running
    clock = RealTimeClock()
    clock.call_later(3600, lambda: None)
    assert len(set(clock_threads()) - before) == 1
    clock.close()
    assert set(clock_threads()) - before == set()


# -- the shared default ---------------------------------------------------------------------


def test_default_clock_is_shared_and_replaceable() -> None:
    previous = set_default_clock(None)
    try:
        shared = default_clock()
        assert isinstance(shared, RealTimeClock) and default_clock() is shared
        virtual = VirtualClock(start=START)
        set_default_clock(virtual)
        assert default_clock() is virtual
        shared.close()
    finally:
        set_default_clock(previous)
