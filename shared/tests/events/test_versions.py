import pytest

from ticketing_shared.events.versions import VersionGap, version_is_next


@pytest.mark.parametrize(
    ("current", "incoming", "apply"),
    [(None, 0, True), (0, 1, True), (4, 5, True), (0, 0, False), (5, 3, False)],
)
def test_the_next_version_applies_and_an_old_one_is_ignored(current, incoming, apply):
    assert version_is_next(current=current, incoming=incoming) is apply


@pytest.mark.parametrize(("current", "incoming"), [(None, 1), (0, 2), (3, 9)])
def test_a_gap_waits_for_the_missing_version(current, incoming):
    with pytest.raises(VersionGap, match=f"version {incoming} arrived before"):
        version_is_next(current=current, incoming=incoming)
