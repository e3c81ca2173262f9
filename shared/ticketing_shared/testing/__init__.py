"""Test support shared by every service: test signing keys, token minting, fixtures."""
