"""policy-lint: a policy-as-code linter for Postfix and Dovecot configuration."""

__version__ = "0.1.0"
