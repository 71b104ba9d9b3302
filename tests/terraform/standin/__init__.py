"""A stand-in Terraform provider for offline checks (test tooling, never deployed).

It speaks Terraform's plugin protocol 6 and serves the real provider schema from
JSON, so `terraform validate` and `terraform plan` type-check this repository's
configuration with Terraform's own rules. See README.md in this folder.
"""
