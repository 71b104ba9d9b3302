# Provider-free on purpose: this module only reads files and computes values,
# so `terraform init -backend=false && terraform test` runs without network.
terraform {
  required_version = ">= 1.7.0"
}
