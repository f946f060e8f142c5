from datetime import UTC, datetime, timedelta

from app.intake.watermark import Watermark, content_digest

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def test_empty_mark_sees_nothing():
    assert not Watermark().already_seen("006A", T0)


def test_records_sharing_a_modstamp_are_each_processed_once():
    mark = Watermark().advanced("006A", T0)
    assert mark.already_seen("006A", T0)
    assert not mark.already_seen("006B", T0)          # same stamp, not yet processed
    mark = mark.advanced("006B", T0)
    assert mark.ids_at_modstamp == {"006A", "006B"}


def test_a_newer_modstamp_resets_the_id_set():
    mark = Watermark().advanced("006A", T0).advanced("006B", T0 + timedelta(seconds=1))
    assert mark.modstamp == T0 + timedelta(seconds=1)
    assert mark.ids_at_modstamp == {"006B"}
    assert mark.already_seen("006A", T0)               # older than the mark


def test_a_record_modified_again_is_seen_again():
    mark = Watermark().advanced("006A", T0)
    assert not mark.already_seen("006A", T0 + timedelta(milliseconds=1))


def test_an_older_record_never_moves_the_mark_back():
    mark = Watermark().advanced("006B", T0)
    assert mark.advanced("006A", T0 - timedelta(seconds=5)) == mark


def test_a_second_change_within_the_same_second_is_not_mistaken_for_a_repeat():
    mark = Watermark().advanced("006A", T0, content_digest({"Id": "006A", "Stage": "Closed Won"}))
    assert mark.already_seen("006A", T0, content_digest({"Stage": "Closed Won", "Id": "006A"}))   # key order
    assert not mark.already_seen("006A", T0, content_digest({"Id": "006A", "Stage": "Closed Lost"}))


def test_a_version_stored_by_a_push_is_skipped_once_and_then_forgotten():
    mark = Watermark().advanced("006A", T0)
    pushed = mark.pushed("006B", T0 + timedelta(seconds=5), "d1")
    assert pushed.modstamp == T0 and pushed.stored_by_push("006B", T0 + timedelta(seconds=5), "d1")
    assert not pushed.stored_by_push("006B", T0 + timedelta(seconds=5), "d2")       # changed again since
    assert not pushed.already_seen("006B", T0 + timedelta(seconds=5), "d1")         # the mark itself stays put
    passed = pushed.advanced("006B", T0 + timedelta(seconds=5), "d1")
    assert passed.read_ahead == frozenset() and passed.already_seen("006B", T0 + timedelta(seconds=5), "d1")


def test_notes_the_mark_has_passed_are_dropped_and_later_ones_kept():
    later = T0 + timedelta(seconds=9)
    mark = Watermark().pushed("006B", T0 + timedelta(seconds=1)).pushed("006C", later)
    moved = mark.advanced("006A", T0 + timedelta(seconds=2))
    assert moved.read_ahead == {("006C", later)}


def test_a_push_of_a_version_the_mark_covers_notes_nothing():
    mark = Watermark().advanced("006A", T0, "d1")
    assert mark.pushed("006A", T0, "d1") == mark
    assert mark.pushed("006Z", T0 - timedelta(seconds=1)) == mark
