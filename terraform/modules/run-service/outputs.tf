output "id" {
  description = "Resource id of the service (projects/P/locations/R/services/NAME)."
  value       = google_cloud_run_v2_service.this.id
}

output "name" {
  description = "Name of the service."
  value       = google_cloud_run_v2_service.this.name
}

output "uri" {
  description = "The service's run.app URL (reachable from the internet only with ingress INGRESS_TRAFFIC_ALL)."
  value       = google_cloud_run_v2_service.this.uri
}
