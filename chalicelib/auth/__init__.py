"""Accounts, sign-in, tokens and the API Gateway authorizer."""
