"""Public reads kept a moment for signed-out visitors: a microcache in each process.

The list of tickets on sale and a ticket read the same for every signed-out visitor (the call
carries no token), and the landing page is most of the site's traffic: keeping each answer
FRONTEND_PUBLIC_READS_SECONDS (2 s) lets a busy process call the tickets API about once in that
time instead of once a page (bench/README.md, "The frontend's pages"): once, unless several of
its threads miss the same answer at the same moment; each process keeps its own.

What it costs: a signed-out visitor may see a sale or an edit up to that long after it
happened, in each web process on its own; the page already tells browsers and proxies it may be
30 s old. Signed-in people always read the API itself, so a seller sees their own edit at once
and a buyer never meets a ticket their purchase has taken. Failures and "no such ticket" are
never kept: the next visitor asks the API again. The cache is Django's local-memory one, per
process and bounded (settings `CACHES["public_reads"]`): a search or a cursor in the address
makes a new key.
"""

import functools
import hashlib
import inspect

from django.conf import settings
from django.core.cache import caches

CACHE_ALIAS = "public_reads"


def kept_briefly_for_signed_out(selector):
    """`selector(request, **arguments)`'s answer, kept by its arguments (their defaults filled
    in, so that one page is one key however it is asked for) for signed-out visitors; a
    signed-in person's read always calls it."""
    signature = inspect.signature(selector)

    @functools.wraps(selector)
    def wrapped(request, **arguments):
        if request.user.is_authenticated or settings.FRONTEND_PUBLIC_READS_SECONDS <= 0:
            return selector(request, **arguments)
        cache = caches[CACHE_ALIAS]
        key = _key(selector, _with_defaults(signature, request, arguments))
        answer = cache.get(key)
        if answer is None:
            answer = selector(request, **arguments)
            # "No such ticket" is not kept: addresses of made-up ids would push the landing's
            # list out of the bounded cache.
            if answer is not None:
                cache.set(key, answer, settings.FRONTEND_PUBLIC_READS_SECONDS)
        return answer

    return wrapped


def _with_defaults(signature: inspect.Signature, request, arguments: dict) -> dict:
    bound = signature.bind(request, **arguments)
    bound.apply_defaults()
    return {name: value for name, value in bound.arguments.items() if value is not request}


def _key(selector, arguments: dict) -> str:
    # Hashed: a search or a cursor is the visitor's text, of any length and any characters.
    spelled = repr((selector.__module__, selector.__qualname__, sorted(arguments.items())))
    return hashlib.blake2b(spelled.encode(), digest_size=20).hexdigest()
