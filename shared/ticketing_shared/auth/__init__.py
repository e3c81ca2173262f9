"""Authentication from RS256 access tokens, verified locally with the public key alone."""
