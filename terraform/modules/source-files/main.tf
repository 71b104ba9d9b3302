# The allowlist of what the function source archive holds. Nothing else of the
# repository (tests, virtual environments, Terraform files and tfvars, examples)
# is uploaded.

locals {
  package_files = sort([
    for f in fileset("${var.repo_root}/tokenvend", "**") : f
    if !strcontains("/${f}", "/__pycache__/") && !endswith(f, ".pyc")
  ])

  files = merge(
    {
      "main.py"          = abspath("${var.repo_root}/main.py")
      "requirements.txt" = abspath("${var.repo_root}/requirements.txt")
    },
    { for f in local.package_files : "tokenvend/${f}" => abspath("${var.repo_root}/tokenvend/${f}") },
    { for f in fileset(var.policies_dir, "*.yaml") : "policies/${f}" => abspath("${var.policies_dir}/${f}") },
  )
}
