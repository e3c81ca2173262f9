"""User ids that make the stand-in handler misbehave, so tests can flip them with plain events."""

import uuid

POISON_USER_ID = uuid.UUID("00000000-0000-0000-0000-00000000dead")  # fails every time
SLOW_USER_ID = uuid.UUID("00000000-0000-0000-0000-000000000510")  # lingers mid-handler
SLOW_HANDLER_SECONDS = 5
