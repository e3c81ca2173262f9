"""HTTP methods under the API root: only those the contract knows (§2).

`ApiUnknownMethodMiddleware`: an unknown method is an unknown route, a 404, whoever asks. DRF
authenticates and checks permissions (`APIView.initial`) before it looks for the method's
handler, so a view that needs a signed-in user answered a signed-out `DELETE` 401 and a
signed-in one 404: whether a route takes a method would depend on who asks.

`ApiAllowHeaderMiddleware`: the `Allow` header names only methods the contract knows. DRF lists
every method its view class has, OPTIONS included, on every answer (and the docs and schema
views are DRF views too); OPTIONS is an unknown method here, a 404. A 404 for an unknown route
names no methods: so a 404 drops `Allow` altogether, whatever the method, and every other
answer lists the methods without OPTIONS.

Both are done once here rather than in each view, so that no service's view can forget them.
"""

from collections.abc import Callable
from http import HTTPStatus

from ticketing_shared.errors.views import route_not_found
from ticketing_shared.registry import API_ROOT

UNKNOWN_METHODS = frozenset({"OPTIONS"})


class ApiUnknownMethodMiddleware:
    """Answers 404 in the error format, before the view runs (and so before it authenticates
    anyone), a method that the resolved class-based view has no handler for.

    A function view (the catch-all `route_not_found`, health) answers every method itself and
    is left alone, as is everything outside the API root (the admin keeps Django's ways).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        # The methods each view function handles, worked out on its first request: this runs
        # on every API request, the busiest reads included. Keyed by the view function, made
        # once per route by the URLconf, so it holds one entry per route.
        self._known_methods: dict[Callable, frozenset[str] | None] = {}

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.path.startswith(API_ROOT):
            return None
        try:
            known = self._known_methods[view_func]
        except KeyError:
            known = self._known_methods[view_func] = _methods_handled(view_func)
        if known is None or request.method in known:
            return None
        return route_not_found(request)


def _methods_handled(view_func) -> frozenset[str] | None:
    """The methods (upper case) a class-based view answers; None for a function view.

    As `View.dispatch` decides: a method in `http_method_names` (the class's, or the one
    `as_view()` was given) that the view has a handler for; HEAD wherever GET is, as
    `View.setup` maps it. A viewset's handlers are the actions its route maps. OPTIONS never:
    DRF's handler refuses it (no metadata class), and the contract calls it unknown.
    """
    # DRF's `as_view` stores the class as `cls`, Django's as `view_class`.
    view_class = getattr(view_func, "cls", None) or getattr(view_func, "view_class", None)
    if view_class is None:
        return None
    initkwargs = getattr(view_func, "view_initkwargs", None) or getattr(
        view_func, "initkwargs", None
    )
    names = (initkwargs or {}).get("http_method_names", view_class.http_method_names)
    actions = getattr(view_func, "actions", None) or {}

    def has_handler(name: str) -> bool:
        return name in actions or hasattr(view_class, name)

    known = {name.upper() for name in names if has_handler(name)}
    if "head" in names and has_handler("get"):
        known.add("HEAD")
    return frozenset(known - UNKNOWN_METHODS)


class ApiAllowHeaderMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Allow" in response and request.path.startswith(API_ROOT):
            _allow_known_methods(response)
        return response


def _allow_known_methods(response) -> None:
    if response.status_code == HTTPStatus.NOT_FOUND:
        del response["Allow"]
        return
    methods = [method.strip() for method in response["Allow"].split(",")]
    response["Allow"] = ", ".join(
        method for method in methods if method.upper() not in UNKNOWN_METHODS
    )
