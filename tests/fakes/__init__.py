"""Test-only fakes. The simulated platform servers the tests use are product code in
:mod:`collectors.platforms` (the demo runs them too); the OpenID provider stays here."""
