from app.integrations.rate_limit import SlidingWindowLimiter


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_calls_within_the_limit_do_not_wait():
    clock = FakeTime()
    limiter = SlidingWindowLimiter(((1.0, 3),), monotonic=clock.monotonic, sleep=clock.sleep)
    assert [limiter.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert clock.slept == []


def test_the_next_call_waits_for_the_window_to_slide():
    clock = FakeTime()
    limiter = SlidingWindowLimiter(((1.0, 3),), monotonic=clock.monotonic, sleep=clock.sleep)
    for _ in range(3):
        limiter.acquire()
        clock.now += 0.1
    assert abs(limiter.acquire() - 0.7) < 1e-9          # the first call leaves the window at 100 + 1.0


def test_the_tightest_of_several_windows_wins():
    clock = FakeTime()
    limiter = SlidingWindowLimiter(((1.0, 10), (60.0, 4)), monotonic=clock.monotonic, sleep=clock.sleep)
    for _ in range(4):
        limiter.acquire()
    assert limiter.acquire() == 60.0
    assert clock.now == 160.0
