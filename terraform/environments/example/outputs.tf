output "api_key_secret" {
  description = "The secret this environment's functions read the Gemini API key from."
  value       = module.tokenvend.api_key_secret
}

output "function_urls" {
  description = "Profile name => the URL browsers POST to."
  value       = module.tokenvend.function_urls
}
