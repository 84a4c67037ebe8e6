"""The audit trail of the stage changes, and the held site visits it is read with."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from tests.store.helpers import NOW, Unit, activity, centre, change
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.model import StageChange


def test_times_are_stored_as_utc(unit: Unit) -> None:
    summer = timezone(timedelta(hours=2))
    recorded = datetime(2026, 7, 1, 9, 0, tzinfo=summer)
    with unit() as repo:
        (centre_id,) = repo.add_centres([centre()], NOW)
        repo.add_changes(
            [
                StageChange(
                    centre_id,
                    "admit",
                    "interessent",
                    "basisbegleitung",
                    date(2026, 7, 1),
                    recorded,
                    "test",
                )
            ]
        )
    with unit() as repo:
        (stored,) = repo.history(centre_id)
    assert stored.recorded_at == recorded
    assert stored.recorded_at.tzinfo == UTC


def test_record_changes_move_the_centres_and_write_the_audit(unit: Unit) -> None:
    with unit() as repo:
        first, second = repo.add_centres([centre(), centre("Kita Sonnenschein")], NOW)
        loaded = repo.centres_by_id([second, first, 999])
        assert sorted(loaded) == [first, second]
        before = [loaded[first], loaded[second]]
        moves = [
            (
                StageChange(
                    c.id,
                    "admit",
                    "interessent",
                    "basisbegleitung",
                    date(2025, 2, 1),
                    NOW,
                    "office",
                    "Start",
                    False,
                ),
                c,
                None,
            )
            for c in before
        ]
        stored = repo.record_changes(moves)
        assert stored is not None
        assert [s.centre_id for s in stored] == [first, second]
        assert len({s.id for s in stored}) == 2
        # The same previous state again: somebody else moved them in the meantime.
        assert repo.record_changes(moves) is None
        assert repo.record_changes([]) == []
    with unit() as repo:
        for centre_id, change_ in zip((first, second), stored, strict=True):
            after = repo.centre(centre_id)
            assert after is not None
            assert (after.stage, after.stage_since) == ("basisbegleitung", date(2025, 2, 1))
            assert repo.history(centre_id) == [change_]
        assert sum(len(trail) for trail in repo.histories().values()) == 2


def test_a_paused_centre_remembers_the_stage_to_resume(unit: Unit) -> None:
    with unit() as repo:
        (centre_id,) = repo.add_centres([centre(stage="basisbegleitung")], NOW)
        before = repo.centre(centre_id)
        assert before is not None
        pause = change(centre_id, "pause", "basisbegleitung", "pausiert", date(2025, 6, 2))
        assert repo.record_changes([(pause, before, "basisbegleitung")]) is not None
    with unit() as repo:
        after = repo.centre(centre_id)
    assert after is not None
    assert (after.stage, after.resume_stage) == ("pausiert", "basisbegleitung")


def test_histories_and_site_visits_by_centre(unit: Unit) -> None:
    with unit() as repo:
        first, second = repo.add_centres([centre("A"), centre("B")], NOW)
        for day in (date(2025, 5, 6), date(2025, 3, 4)):
            activity(repo, second, ActivityKind.SITE_VISIT, day, ActivityStatus.HELD)
        activity(repo, first, ActivityKind.SITE_VISIT, date(2025, 3, 5), ActivityStatus.PLANNED)
        repo.add_changes(
            [
                change(second, "admit", "interessent", "basisbegleitung", date(2025, 2, 1)),
                change(first, "withdraw", "interessent", "ausgeschieden", date(2025, 2, 2)),
            ]
        )
    with unit() as repo:
        histories = repo.histories()
        assert [c.trigger for c in histories[first]] == ["withdraw"]
        assert [c.trigger for c in histories[second]] == ["admit"]
        assert repo.histories([first]) == {first: histories[first]}
        assert repo.history(second + 1) == []
        steps = repo.steps([second, first])
        assert {
            i: [(c.trigger, c.from_stage, c.to_stage, c.effective) for c in histories[i]]
            for i in (first, second)
        } == {i: [tuple(step) for step in steps[i]] for i in (first, second)}
        assert repo.site_visits()[second] == [
            (date(2025, 3, 4), "basisbegleitung"),
            (date(2025, 5, 6), "basisbegleitung"),
        ]
        assert repo.site_visits([first]) == {}
        between = repo.changes_between(date(2025, 2, 2), date(2025, 2, 28))
        assert [(c.centre_id, c.trigger) for c in between] == [(first, "withdraw")]
        february = (date(2025, 2, 1), date(2025, 2, 28))
        led = repo.changes_between(*february, to_stage="basisbegleitung")
        assert [(c.centre_id, c.trigger) for c in led] == [(second, "admit")]


def test_held_from_counts_the_sessions_and_visits_held_since_a_day(unit: Unit) -> None:
    with unit() as repo:
        first, second = repo.add_centres([centre("A"), centre("B")], NOW)
        for day in (date(2025, 3, 4), date(2025, 4, 1), date(2025, 2, 3)):
            activity(repo, first, ActivityKind.COACHING, day, ActivityStatus.HELD)
        activity(repo, first, ActivityKind.COACHING, date(2025, 5, 6), ActivityStatus.PLANNED)
        activity(repo, first, ActivityKind.SITE_VISIT, date(2025, 4, 2), ActivityStatus.HELD)
    with unit() as repo:
        held = repo.held_from([first, second], date(2025, 3, 1))
    assert held == {
        first: {
            ActivityKind.COACHING: (2, date(2025, 4, 1)),
            ActivityKind.SITE_VISIT: (1, date(2025, 4, 2)),
        },
    }
