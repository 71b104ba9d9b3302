# What the profiles module makes of a policies folder. Runs offline:
#   terraform init -backend=false && terraform test

run "maps_each_yaml_file_to_one_profile" {
  command = plan

  variables {
    policies_dir = "tests/fixtures/valid"
  }

  # README.md, schema.json and nested/deep.yaml are not profiles.
  assert {
    condition     = keys(output.profiles) == ["internal-ops", "voice-tutor"]
    error_message = "Expected exactly the two top-level *.yaml files as profiles, got ${jsonencode(keys(output.profiles))}."
  }

  assert {
    condition     = output.profiles["voice-tutor"].public == true && output.profiles["voice-tutor"].min_instances == 1 && output.profiles["voice-tutor"].max_instances == 5 && output.profiles["voice-tutor"].memory_mb == 512
    error_message = "voice-tutor must carry its deploy section unchanged: ${jsonencode(output.profiles["voice-tutor"])}."
  }

  assert {
    condition     = output.profiles["voice-tutor"].available_memory == "512Mi"
    error_message = "memory_mb 512 must become available_memory \"512Mi\"."
  }

  assert {
    condition     = output.profiles["voice-tutor"].function_name == "tokenvend-voice-tutor" && output.profiles["voice-tutor"].file == "voice-tutor.yaml"
    error_message = "Function name is name_prefix-profile and file is the policy file name."
  }

  assert {
    condition     = output.profiles["voice-tutor"].environment == { TOKENVEND_PROFILE = "voice-tutor" }
    error_message = "The function environment must name its profile in TOKENVEND_PROFILE."
  }

  assert {
    condition     = output.profiles["voice-tutor"].description == "Voice tutor on the public site."
    error_message = "The policy description is passed on for the function description."
  }
}

run "applies_the_documented_defaults" {
  command = plan

  variables {
    policies_dir = "tests/fixtures/valid"
  }

  assert {
    condition     = output.profiles["internal-ops"].min_instances == 0
    error_message = "min_instances defaults to 0."
  }

  assert {
    condition     = output.profiles["internal-ops"].max_instances == 10
    error_message = "max_instances defaults to 10."
  }

  assert {
    condition     = output.profiles["internal-ops"].memory_mb == 256 && output.profiles["internal-ops"].available_memory == "256Mi"
    error_message = "memory_mb defaults to 256."
  }

  assert {
    condition     = output.profiles["internal-ops"].public == false
    error_message = "public: false must stay false."
  }
}

run "only_public_profiles_are_public" {
  command = plan

  variables {
    policies_dir = "tests/fixtures/valid"
  }

  assert {
    condition     = keys(output.public_profiles) == ["voice-tutor"]
    error_message = "Only profiles with deploy.public: true may be opened to allUsers, got ${jsonencode(keys(output.public_profiles))}."
  }
}

run "name_prefix_changes_derived_names" {
  command = plan

  variables {
    policies_dir = "tests/fixtures/valid"
    name_prefix  = "tv2"
  }

  assert {
    condition     = output.profiles["voice-tutor"].function_name == "tv2-voice-tutor"
    error_message = "function_name must start with name_prefix."
  }

  assert {
    condition     = startswith(output.profiles["voice-tutor"].service_account_id, "tv2-voice-tutor-")
    error_message = "service_account_id must start with name_prefix and the profile name when they fit."
  }
}

run "service_account_ids_are_valid_and_distinct" {
  command = plan

  variables {
    policies_dir = "tests/fixtures/long-names"
  }

  # IAM rule for account ids: 6-30 characters, lowercase letters, digits and
  # hyphens, starting with a letter and not ending with a hyphen.
  assert {
    condition = alltrue([
      for p in values(output.profiles) :
      can(regex("^[a-z][-a-z0-9]{4,28}[a-z0-9]$", p.service_account_id))
    ])
    error_message = "Every service_account_id must be a valid IAM account id: ${jsonencode([for p in values(output.profiles) : p.service_account_id])}."
  }

  # Two 40-character names that differ only in their last character.
  assert {
    condition     = length(distinct([for p in values(output.profiles) : p.service_account_id])) == 3
    error_message = "Truncated service account ids must still differ: ${jsonencode([for p in values(output.profiles) : p.service_account_id])}."
  }

  # A one-letter profile still gets an id of at least 6 characters.
  assert {
    condition     = length(output.profiles["a"].service_account_id) >= 6 && startswith(output.profiles["a"].service_account_id, "tokenvend-a-")
    error_message = "Short names keep the readable stem: ${output.profiles["a"].service_account_id}."
  }

  assert {
    condition     = length(output.profiles["abcdefghij-abcdefghij-abcdefghij-abcdef1"].function_name) <= 63
    error_message = "Function names must fit the 63-character limit."
  }
}

run "service_account_ids_fit_with_the_longest_prefix" {
  command = plan

  variables {
    policies_dir = "tests/fixtures/long-names"
    name_prefix  = "abcdefghij-abcdefgh9"
  }

  assert {
    condition = alltrue([
      for p in values(output.profiles) :
      can(regex("^[a-z][-a-z0-9]{4,28}[a-z0-9]$", p.service_account_id)) && length(p.function_name) <= 63
    ])
    error_message = "A 20-character prefix with a 40-character profile must still give valid ids and names: ${jsonencode(output.profiles)}."
  }
}

run "an_empty_folder_deploys_nothing" {
  command = plan

  variables {
    policies_dir = "tests/fixtures/empty"
  }

  assert {
    condition     = length(output.profiles) == 0 && length(output.public_profiles) == 0
    error_message = "A folder without *.yaml files has no profiles."
  }
}

run "a_yml_file_is_ignored_with_a_warning" {
  command = plan

  variables {
    policies_dir = "tests/fixtures/yml-extension"
  }

  expect_failures = [check.policy_file_extension]

  assert {
    condition     = keys(output.profiles) == ["valid"]
    error_message = "forgotten.yml must not become a profile."
  }
}

run "notices_app_check_replay_protection" {
  command = plan

  variables {
    policies_dir = "tests/fixtures/valid"
  }

  assert {
    condition     = output.profiles["voice-tutor"].app_check_consume == true && output.profiles["internal-ops"].app_check_consume == false
    error_message = "app_check_consume is true only for a policy with access.app_check.consume: true."
  }

  assert {
    condition     = keys(output.app_check_consume_profiles) == ["voice-tutor"]
    error_message = "app_check_consume_profiles holds only the profiles that consume App Check tokens, got ${jsonencode(keys(output.app_check_consume_profiles))}."
  }
}
