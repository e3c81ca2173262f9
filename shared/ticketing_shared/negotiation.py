"""The API answers JSON whatever the client asks for (contract: JSON out).

DRF refuses a request whose `Accept` names nothing its view renders (406 `Could not satisfy
the request Accept header.`: `Accept: application/xml`, or `text/html` alone, as a browser's
address bar or a scraper sends), and a `?format=` it has no renderer for (404). Here `Accept`
and `?format=` are preferences: honoured where the view renders what they ask for (the OpenAPI
schema as YAML or JSON), and otherwise the view answers in its first renderer, which is JSON
for every API view.
"""

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation


class AcceptAsPreferenceNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable as refusal:
            # The renderers left once `?format=` chose among them.
            renderer = refusal.available_renderers[0]
            return renderer, renderer.media_type

    def filter_renderers(self, renderers, format):
        return [renderer for renderer in renderers if renderer.format == format] or renderers
