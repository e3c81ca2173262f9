"""The contract's error format: `{"errors": [{"message": "...", "field": "..."}]}`."""

from ticketing_shared.errors.responses import error_body, error_response

__all__ = ["error_body", "error_response"]
