variable "policies_dir" {
  description = "Folder whose top-level *.yaml files ship as policies/<file> in the archive (the same files the profiles module deploys)."
  type        = string
  nullable    = false
}

variable "repo_root" {
  description = "Repository root holding main.py, requirements.txt and the tokenvend/ package."
  type        = string
  nullable    = false
}
