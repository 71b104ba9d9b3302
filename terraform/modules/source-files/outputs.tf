output "files" {
  description = "Map of path inside the archive to the absolute path of the file to put there."
  value       = local.files

  precondition {
    condition     = fileexists(local.files["main.py"]) && fileexists(local.files["requirements.txt"])
    error_message = "main.py and requirements.txt must exist in ${var.repo_root}: run Terraform from a full checkout of the repository."
  }
}

output "sha256" {
  description = "SHA-256 of each file's archive path and SHA-256, one \"path:sha256\" line per file in path order: the archive's name. terraform/scripts/build_image.py computes the same before it builds, and refuses to build if the files changed since the plan."
  value       = sha256(join("\n", [for name, path in local.files : "${name}:${filesha256(path)}"]))
}
