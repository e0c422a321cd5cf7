"""The pytest plugin (``gochan.pytest_plugin``, on through the pytest11 entry point), run with pytester."""

from __future__ import annotations

import re
from importlib.metadata import entry_points

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")


def run_tests(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(source)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)


def test_the_plugin_is_registered_through_the_pytest11_entry_point() -> None:
    (ep,) = [e for e in entry_points(group="pytest11") if e.name == "gochan"]
    assert ep.value == "gochan.pytest_plugin"


def test_a_marked_test_runs_as_a_programs_main_goroutine(pytester: pytest.Pytester) -> None:
    result = run_tests(
        pytester,
        """
        import pytest
        from gochan import Chan, go, num_goroutine
        from gochan.errors import DeadlockError

        @pytest.fixture
        def numbers():
            return [1, 2, 3]

        @pytest.mark.gochan
        def test_channels_work(numbers):
            ch = Chan()
            go(lambda: [ch.send(n) for n in numbers] and None or ch.close())
            assert list(ch) == numbers

        @pytest.mark.gochan
        def test_a_fresh_program_each_time():
            assert num_goroutine() == 1

        @pytest.mark.gochan
        def test_deadlock_fails_the_test():
            Chan().recv()
        """,
    )
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*DeadlockError: all goroutines are asleep - deadlock!*"])


def test_virtual_time_runs_in_a_bubble(pytester: pytest.Pytester) -> None:
    result = run_tests(
        pytester,
        """
        import pytest
        from gochan import now, sleep

        @pytest.mark.gochan(virtual_time=True)
        def test_an_hour_passes_at_once():
            start = now()
            sleep(3600)
            assert now() - start == 3600
        """,
    )
    result.assert_outcomes(passed=1)


def test_a_leaked_goroutine_fails_the_test_with_its_dump(pytester: pytest.Pytester) -> None:
    result = run_tests(
        pytester,
        """
        import pytest
        from gochan import Chan, go

        def serve(requests):
            for r in requests:
                pass

        @pytest.mark.gochan
        def test_leaks():
            requests = Chan()
            go(serve, requests)  # never closed

        @pytest.mark.gochan(virtual_time=True)
        def test_leaks_in_a_bubble():
            requests = Chan()
            go(serve, requests)

        @pytest.mark.gochan
        def test_closes():
            requests = Chan()
            go(serve, requests)
            requests.send(1)
            requests.close()  # the server finishes after the body returns: no leak

        @pytest.mark.gochan
        @pytest.mark.gochan_leaks_ok
        def test_means_it():
            go(serve, Chan())
        """,
    )
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*LeakError: found unexpected goroutines:",
            "*goroutine 2 [[]chan receive[]]:",
            "*test_a_leaked_goroutine_fails_the_test_with_its_dump.serve(...)",
            "*created by test_a_leaked_goroutine_fails_the_test_with_its_dump.test_leaks in goroutine 1",
        ]
    )
    result.stdout.fnmatch_lines(["*chan requests (unbuffered) *", "*receive: goroutine 2"])


def test_a_failing_tests_seed_is_shown_and_replays(pytester: pytest.Pytester) -> None:
    source = """
        import pytest
        from gochan import Chan, recv, select

        @pytest.mark.gochan
        def test_which_case():
            a, b = Chan(1), Chan(1)
            a.send("a")
            b.send("b")
            _, v, _ = select(recv(a), recv(b))
            print("picked", v)
            assert False
        """
    first = run_tests(pytester, source, "-s")
    first.assert_outcomes(failed=1)
    (seed,) = re.findall(r"gochan seed (\d+): replay with pytest --gochan-seed \1", first.stdout.str())
    picked = re.findall(r"picked (\w)", first.stdout.str())
    for _ in range(3):
        again = run_tests(pytester, source, "-s", "--gochan-seed", seed)
        assert re.findall(r"picked (\w)", again.stdout.str()) == picked
        again.stdout.fnmatch_lines([f"*gochan seed {seed}: replay with pytest --gochan-seed {seed}"])


def test_the_seed_marker_fixes_the_run(pytester: pytest.Pytester) -> None:
    result = run_tests(
        pytester,
        """
        import pytest
        from gochan import Chan, recv, select

        def pick():
            a, b = Chan(1), Chan(1)
            a.send(0)
            b.send(1)
            return select(recv(a), recv(b))[0]

        seen = []

        @pytest.mark.gochan(seed=42)
        @pytest.mark.parametrize("i", range(5))
        def test_pick(i):
            seen.append(pick())

        def test_same_each_time():
            assert len(set(seen)) == 1
        """,
    )
    result.assert_outcomes(passed=6)


def test_gochan_ctx_has_a_deadline_inside_the_program(pytester: pytest.Pytester) -> None:
    result = run_tests(
        pytester,
        """
        import pytest
        from gochan import Chan, now, recv, select
        from gochan.context import DEADLINE_EXCEEDED

        @pytest.mark.gochan(virtual_time=True, timeout=5)
        def test_times_out(gochan_ctx):
            start = now()
            idx, _, _ = select(recv(Chan()), recv(gochan_ctx.done()))
            assert idx == 1
            assert gochan_ctx.err() is DEADLINE_EXCEEDED
            assert now() - start == 5

        @pytest.mark.gochan
        def test_default_deadline(gochan_ctx):
            deadline = gochan_ctx.deadline()
            assert deadline is not None and 0 < deadline - now() <= 10

        def test_needs_the_marker(gochan_ctx):
            pass
        """,
    )
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*the gochan_ctx fixture belongs to a gochan program*"])


def test_a_bad_marker_argument_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = run_tests(
        pytester,
        """
        import pytest

        @pytest.mark.gochan(virtual=True)
        def test_typo():
            pass
        """,
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*takes only virtual_time=, seed= and timeout=, not virtual*"])
