"""Title search that matches the way people type: in any case, with or without accents, in
any Unicode form. `Straße` is found by `STRASSE`, `İstanbul` by `istanbul`, `Café` by `cafe`,
and a title stored decomposed (`cafe` + U+0301) by a search typed composed."""

import unicodedata


def search_key(text: str) -> str:
    """`text` case-folded, compatibility-normalized and stripped of combining marks: a ticket's
    `title_search` is its title's key, and a search finds the titles whose key contains its
    own."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))
