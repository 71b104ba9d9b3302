output "app_check_consume_profiles" {
  description = "The subset of `profiles` whose policy says `access.app_check.consume: true`: their functions call Firebase App Check's verifyAppCheckToken and get roles/firebaseappcheck.tokenVerifier."
  value       = { for name, p in local.profiles : name => p if p.app_check_consume }
}

output "profiles" {
  description = "Map of profile name (policy file stem) to what Terraform needs to deploy it: function_name, service_account_id, public, min_instances, max_instances, memory_mb, available_memory, description, file, environment, quotas (true when the policy has a quotas or spend section), kill_switch (true when its function reads the kill switch: quotas, spend or kill_switch: true), app_check_consume (true when the policy says access.app_check.consume: true)."
  value       = local.profiles

  precondition {
    condition     = length(local.bad_yaml) == 0
    error_message = "Policy file(s) ${join(", ", local.bad_yaml)} in ${var.policies_dir} are empty or not valid YAML. Fix the syntax (`make validate` shows where), or remove the file."
  }
  precondition {
    condition     = length(local.bad_name) == 0
    error_message = "Policy file name(s) ${join(", ", local.bad_name)} in ${var.policies_dir} are not valid profile names. Rename each to lowercase kebab-case: start with a letter, then letters, digits or hyphens, no trailing hyphen, at most 40 characters before .yaml (for example voice-tutor.yaml)."
  }
  precondition {
    condition     = length(local.no_deploy) == 0
    error_message = "Policy file(s) ${join(", ", local.no_deploy)} in ${var.policies_dir} have no `deploy` mapping. Add one, at least `deploy: {public: false}` (set public: true only for profiles that browsers call)."
  }
  precondition {
    condition     = length(local.unknown_keys) == 0
    error_message = "Policy file(s) ${join(", ", local.unknown_keys)} in ${var.policies_dir} have unknown keys under `deploy`. Allowed keys: ${join(", ", local.deploy_keys)}; remove or correct the others."
  }
  precondition {
    condition     = length(local.bad_public) == 0
    error_message = "Policy file(s) ${join(", ", local.bad_public)} in ${var.policies_dir} need `deploy.public` set to true or false (unquoted): true lets anyone invoke the function (browsers need it), false keeps invocation to callers with roles/run.invoker."
  }
  precondition {
    condition     = length(local.bad_min) == 0
    error_message = "Policy file(s) ${join(", ", local.bad_min)} in ${var.policies_dir} have an invalid `deploy.min_instances`. Use a whole number from 0 to 100, or leave it out for the default 0 (nothing runs, nothing is billed, while idle)."
  }
  precondition {
    condition     = length(local.bad_max) == 0
    error_message = "Policy file(s) ${join(", ", local.bad_max)} in ${var.policies_dir} have an invalid `deploy.max_instances`. Use a whole number from 1 to 1000, or leave it out for the default 10."
  }
  precondition {
    condition     = length(local.over_limit) == 0
    error_message = "Policy file(s) ${join(", ", local.over_limit)} in ${var.policies_dir} have `deploy.max_instances` above ${var.max_instances_limit}, the most Cloud Run gives a service without a quota increase. Lower it, or raise max_instances_limit after your project's quota allows more."
  }
  precondition {
    condition     = length(local.bad_bounds) == 0
    error_message = "Policy file(s) ${join(", ", local.bad_bounds)} in ${var.policies_dir} have `deploy.max_instances` smaller than `deploy.min_instances`. Raise max_instances or lower min_instances."
  }
  precondition {
    condition     = length(local.bad_memory) == 0
    error_message = "Policy file(s) ${join(", ", local.bad_memory)} in ${var.policies_dir} have an invalid `deploy.memory_mb`. Use one of ${join(", ", local.allowed_memory_mb)}, or leave it out for the default 256."
  }
}

output "public_profiles" {
  description = "The subset of `profiles` whose policy says `deploy.public: true`: these are opened to browsers (the invoker IAM check off, or roles/run.invoker bindings, per the root variable public_invoker)."
  value       = { for name, p in local.profiles : name => p if p.public == true }
}

output "quota_profiles" {
  description = "The subset of `profiles` whose policy has a `quotas` or `spend` section: their functions get the Firestore database, roles/datastore.user and TOKENVEND_FIRESTORE_DATABASE."
  value       = { for name, p in local.profiles : name => p if p.quotas }
}

output "switch_only_profiles" {
  description = "The subset of `profiles` that read the kill switch without quotas (kill_switch: true): their functions get the Firestore database, roles/datastore.viewer (read only) and TOKENVEND_FIRESTORE_DATABASE."
  value       = { for name, p in local.profiles : name => p if p.kill_switch && !p.quotas }
}
