# Optional: every profile at https://<custom_domain.domain>/<profile>, behind an
# external HTTPS load balancer with a Cloud Armor rate limit per client IP
# (modules/custom-domain). Off unless var.custom_domain is set; the services'
# ingress then becomes internal-and-load-balancer (services.tf).

module "custom_domain" {
  source = "./modules/custom-domain"
  count  = var.custom_domain == null ? 0 : 1

  project_id            = var.project_id
  region                = var.region
  name_prefix           = var.name_prefix
  domain                = var.custom_domain.domain
  rate_limit_per_minute = var.custom_domain.rate_limit_per_minute
  labels                = local.labels
  services              = { for name, service in module.profile_service : name => service.name }

  depends_on = [time_sleep.apis_ready]
}
