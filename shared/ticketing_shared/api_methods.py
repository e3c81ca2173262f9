"""The `Allow` header of API answers names only methods the contract knows (§2).

DRF lists every method its view class has, OPTIONS included, on every answer (and the docs
and schema views are DRF views too); OPTIONS is an unknown method here, a 404. An unknown
method is an unknown route, and a 404 for an unknown route names no methods: so a 404 drops
`Allow` altogether, whatever the method, and every other answer lists the methods without
OPTIONS. Done once here rather than in each view, so that no service's view can forget it.
"""

from http import HTTPStatus

from ticketing_shared.registry import API_ROOT

UNKNOWN_METHODS = frozenset({"OPTIONS"})


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
