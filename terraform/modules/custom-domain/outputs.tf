output "ip_address" {
  description = "The load balancer's IPv4 address: point an A record for the domain at it."
  value       = google_compute_global_address.this.address
}

output "urls" {
  description = "Path segment => the HTTPS URL it is served at."
  value       = { for path in keys(var.services) : path => "https://${var.domain}/${path}" }
}
