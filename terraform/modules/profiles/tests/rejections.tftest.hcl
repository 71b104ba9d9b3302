# Inputs Terraform must refuse, each with a message naming the file and the fix
# (tests/terraform/test_profiles.py checks the message text).

run "rejects_an_invalid_file_name" {
  command = plan
  variables {
    policies_dir = "tests/fixtures/bad-name"
  }
  expect_failures = [output.profiles]
}

run "rejects_invalid_yaml" {
  command = plan
  variables {
    policies_dir = "tests/fixtures/bad-yaml"
  }
  expect_failures = [output.profiles]
}

run "rejects_a_missing_deploy_section" {
  command = plan
  variables {
    policies_dir = "tests/fixtures/no-deploy"
  }
  expect_failures = [output.profiles]
}

run "rejects_a_non_boolean_public" {
  command = plan
  variables {
    policies_dir = "tests/fixtures/bad-public"
  }
  expect_failures = [output.profiles]
}

run "rejects_negative_min_instances" {
  command = plan
  variables {
    policies_dir = "tests/fixtures/bad-min"
  }
  expect_failures = [output.profiles]
}

run "rejects_zero_max_instances" {
  command = plan
  variables {
    policies_dir = "tests/fixtures/bad-max"
  }
  expect_failures = [output.profiles]
}

run "rejects_max_instances_over_the_limit" {
  command = plan
  variables {
    policies_dir = "tests/fixtures/over-limit"
  }
  expect_failures = [output.profiles]
}

run "a_raised_limit_admits_more_instances" {
  command = plan
  variables {
    policies_dir        = "tests/fixtures/over-limit"
    max_instances_limit = 1000
  }
  assert {
    condition     = output.profiles["busy"].max_instances == 200
    error_message = "max_instances_limit = 1000 must admit max_instances 200."
  }
}

run "rejects_max_below_min" {
  command = plan
  variables {
    policies_dir = "tests/fixtures/bad-bounds"
  }
  expect_failures = [output.profiles]
}

run "rejects_an_unsupported_memory_size" {
  command = plan
  variables {
    policies_dir = "tests/fixtures/bad-memory"
  }
  expect_failures = [output.profiles]
}

run "rejects_unknown_deploy_keys" {
  command = plan
  variables {
    policies_dir = "tests/fixtures/unknown-key"
  }
  expect_failures = [output.profiles]
}

run "rejects_an_invalid_name_prefix" {
  command = plan
  variables {
    policies_dir = "tests/fixtures/valid"
    name_prefix  = "Token_Vend"
  }
  expect_failures = [var.name_prefix]
}
