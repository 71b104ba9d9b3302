# Provider-free: only reads file names, so tests can run it offline.
terraform {
  required_version = ">= 1.7.0"
}
