output "files" {
  description = "Map of path inside the archive to the absolute path of the file to put there."
  value       = local.files

  precondition {
    condition     = fileexists(local.files["main.py"]) && fileexists(local.files["requirements.txt"])
    error_message = "main.py and requirements.txt must exist in ${var.repo_root}: run Terraform from a full checkout of the repository."
  }
}
