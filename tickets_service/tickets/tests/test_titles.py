import pytest

from tickets.titles import (
    TITLE_CONTROL_CHARACTERS,
    TITLE_NOT_TEXT,
    TITLE_REQUIRED,
    TITLE_TOO_LONG,
    InvalidTitle,
    title_clean,
)


@pytest.mark.parametrize(
    ("value", "title"),
    [
        ("Concert", "Concert"),
        ("  Gig \n", "Gig"),
        ("cafe\u0301", "caf\u00e9"),  # stored composed
        ("\u05e9\u05dc\u05d5\u05dd \u200fconcert", "\u05e9\u05dc\u05d5\u05dd \u200fconcert"),
        ("\U0001f3b8" * 200, "\U0001f3b8" * 200),  # characters, not UTF-16 units or bytes
        ("e" + "\u0301" * 199, "\u00e9" + "\u0301" * 198),
    ],
    ids=repr,
)
def test_titles_read(value, title):
    assert title_clean(value) == title


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, TITLE_REQUIRED),
        ("", TITLE_REQUIRED),
        ("   ", TITLE_REQUIRED),
        ("\u200b\u200d\ufeff", TITLE_REQUIRED),
        ("\u0301", TITLE_REQUIRED),
        ("\u202e", TITLE_REQUIRED),
        (12, TITLE_NOT_TEXT),
        (["a"], TITLE_NOT_TEXT),
        ("a\u0000b", TITLE_CONTROL_CHARACTERS),
        ("line\nbreak", TITLE_CONTROL_CHARACTERS),
        ("bell\u0007", TITLE_CONTROL_CHARACTERS),
        ("esc\u001b[31m", TITLE_CONTROL_CHARACTERS),
        ("x" * 201, TITLE_TOO_LONG),
        ("\U0001f3b8" * 201, TITLE_TOO_LONG),
    ],
    ids=repr,
)
def test_titles_refused(value, message):
    with pytest.raises(InvalidTitle) as refused:
        title_clean(value)

    assert refused.value.message == message
