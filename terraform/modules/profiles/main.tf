# Reads every `*.yaml` file directly in var.policies_dir and turns each into one
# profile. Only `description`, `deploy`, whether a `quotas` or `spend` section is
# present, whether `kill_switch` and `access.app_check.consume` are true matter here
# (docs/policies.md); the rest of the policy, quotas included, is validated by
# `make validate` and by the function at cold start.

locals {
  allowed_memory_mb = [128, 256, 512, 1024, 2048, 4096]
  deploy_keys       = ["max_instances", "memory_mb", "min_instances", "public"]
  name_regex        = "^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$"

  # file name => decoded document; fileset() does not recurse with "*.yaml".
  files = {
    for f in sort(fileset(var.policies_dir, "*.yaml")) :
    f => try(yamldecode(file("${var.policies_dir}/${f}")), null)
  }

  # Everything below is computed with try() so that a bad file never aborts
  # evaluation: the preconditions in outputs.tf then name the file and the fix.
  deploy = {
    for f, doc in local.files : f => try(doc.deploy, null)
  }
  settings = {
    for f, d in local.deploy : f => {
      public        = try(d.public, null)
      min_instances = try(d.min_instances, 0)
      max_instances = try(d.max_instances, 10)
      memory_mb     = try(d.memory_mb, 256)
    }
  }

  bad_yaml     = [for f, doc in local.files : f if doc == null]
  bad_name     = [for f in keys(local.files) : f if !can(regex(local.name_regex, trimsuffix(f, ".yaml")))]
  no_deploy    = [for f, d in local.deploy : f if !contains(local.bad_yaml, f) && !can(keys(d))]
  unknown_keys = [for f, d in local.deploy : f if try(length(setsubtract(keys(d), local.deploy_keys)) > 0, false)]
  bad_public   = [for f, s in local.settings : f if can(keys(local.deploy[f])) && !(s.public == true || s.public == false)]
  bad_min      = [for f, s in local.settings : f if can(keys(local.deploy[f])) && !try(floor(s.min_instances) == s.min_instances && s.min_instances >= 0 && s.min_instances <= 100, false)]
  bad_max      = [for f, s in local.settings : f if can(keys(local.deploy[f])) && !try(floor(s.max_instances) == s.max_instances && s.max_instances >= 1 && s.max_instances <= 1000, false)]
  over_limit   = [for f, s in local.settings : f if !contains(local.bad_max, f) && can(keys(local.deploy[f])) && try(s.max_instances > var.max_instances_limit, false)]
  bad_bounds   = [for f, s in local.settings : f if !contains(concat(local.bad_min, local.bad_max), f) && can(keys(local.deploy[f])) && !try(s.max_instances >= s.min_instances, false)]
  bad_memory   = [for f, s in local.settings : f if can(keys(local.deploy[f])) && !try(contains(local.allowed_memory_mb, s.memory_mb), false)]

  profiles = {
    for f, s in local.settings : trimsuffix(f, ".yaml") => {
      description   = try(tostring(local.files[f].description), "")
      file          = f
      function_name = "${var.name_prefix}-${trimsuffix(f, ".yaml")}"
      public        = s.public
      min_instances = s.min_instances
      max_instances = s.max_instances
      memory_mb     = s.memory_mb
      # Cloud Run functions take memory with a unit; MiB matches the console's tiers.
      available_memory = "${s.memory_mb}Mi"
      # Service account ids are 6-30 characters: a readable, truncated stem plus a
      # short hash of the full name, so two long profiles that share a 23-character
      # beginning still get different ids.
      service_account_id = format(
        "%s-%s",
        replace(substr("${var.name_prefix}-${trimsuffix(f, ".yaml")}", 0, 23), "/-+$/", ""),
        substr(sha256("${var.name_prefix}-${trimsuffix(f, ".yaml")}"), 0, 6)
      )
      environment = {
        TOKENVEND_PROFILE = trimsuffix(f, ".yaml")
      }
      # Counters in Firestore are needed only when the policy has a `quotas`
      # section, or a `spend` one (compiled into quotas); their content is the
      # function's to validate, not Terraform's.
      quotas = try(local.files[f].quotas, null) != null || try(local.files[f].spend, null) != null
      # The kill switch (a Firestore document) is read by every quota profile and
      # by any other whose policy says kill_switch: true (a literal true, as in
      # the schema).
      kill_switch = (
        try(local.files[f].quotas, null) != null || try(local.files[f].spend, null) != null
        || try(local.files[f].kill_switch, false) == true
      )
      # App Check replay protection: the function calls Firebase's
      # verifyAppCheckToken, which needs roles/firebaseappcheck.tokenVerifier.
      # Only a literal true counts, as in the schema (a boolean).
      app_check_consume = try(local.files[f].access.app_check.consume, false) == true
    }
  }
}

check "policy_file_extension" {
  assert {
    condition     = length(fileset(var.policies_dir, "*.yml")) == 0
    error_message = "Ignored policy file(s) with a .yml extension in ${var.policies_dir}: ${join(", ", sort(fileset(var.policies_dir, "*.yml")))}. Only *.yaml files are deployed: rename them to .yaml, or move them out of the folder."
  }
}
