# A custom domain in front of Cloud Run services: a global external Application
# Load Balancer (EXTERNAL_MANAGED) with a Google-managed certificate, one
# serverless network endpoint group and backend service per path, and a Cloud
# Armor policy on every backend that rate-limits each client IP at the edge, so
# a flood is refused before it starts an instance.

locals {
  # Requests to an unknown path or host get 404 from the load balancer itself:
  # a fault-injection abort on every request never reaches the (first) backend,
  # so a mistyped profile path can never mint another profile's token.
  not_found_backend = google_compute_backend_service.service[sort(keys(var.services))[0]].id
}

resource "google_compute_global_address" "this" {
  project = var.project_id
  name    = "${var.name_prefix}-lb"
  labels  = var.labels
}

resource "google_compute_managed_ssl_certificate" "this" {
  project = var.project_id
  name    = "${var.name_prefix}-${substr(sha256(var.domain), 0, 8)}"

  managed {
    domains = [var.domain]
  }

  # A new domain needs a new certificate before the old one can go.
  lifecycle {
    create_before_destroy = true
  }
}

resource "google_compute_region_network_endpoint_group" "service" {
  for_each = var.services

  project               = var.project_id
  region                = var.region
  name                  = "${var.name_prefix}-${each.key}"
  network_endpoint_type = "SERVERLESS"

  cloud_run {
    service = each.value
  }
}

resource "google_compute_security_policy" "edge" {
  #checkov:skip=CKV_GCP_73:The backends are Python functions, not Java: Log4j (CVE-2021-44228) rules would only cost latency and false positives.
  project     = var.project_id
  name        = "${var.name_prefix}-edge"
  description = "tokenvend: at most ${var.rate_limit_per_minute} requests a minute per client IP."
  type        = "CLOUD_ARMOR"

  rule {
    action      = "throttle"
    priority    = 1000
    description = "rate limit per client IP"
    preview     = false
    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }
    rate_limit_options {
      conform_action = "allow"
      exceed_action  = "deny(429)"
      enforce_on_key = "IP"
      rate_limit_threshold {
        count        = var.rate_limit_per_minute
        interval_sec = 60
      }
    }
  }

  rule {
    action      = "allow"
    priority    = 2147483647
    description = "default: allow"
    preview     = false
    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }
  }
}

resource "google_compute_backend_service" "service" {
  for_each = var.services

  project               = var.project_id
  name                  = "${var.name_prefix}-${each.key}"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  protocol              = "HTTPS"
  security_policy       = google_compute_security_policy.edge.id

  backend {
    group = google_compute_region_network_endpoint_group.service[each.key].id
  }

  log_config {
    enable      = true
    sample_rate = 1
  }
}

resource "google_compute_url_map" "this" {
  project = var.project_id
  name    = "${var.name_prefix}-lb"

  default_route_action {
    weighted_backend_services {
      backend_service = local.not_found_backend
      weight          = 100
    }
    fault_injection_policy {
      abort {
        http_status = 404
        percentage  = 100
      }
    }
  }

  host_rule {
    hosts        = [var.domain]
    path_matcher = "services"
  }

  path_matcher {
    name = "services"

    default_route_action {
      weighted_backend_services {
        backend_service = local.not_found_backend
        weight          = 100
      }
      fault_injection_policy {
        abort {
          http_status = 404
          percentage  = 100
        }
      }
    }

    dynamic "path_rule" {
      for_each = var.services
      content {
        paths   = ["/${path_rule.key}", "/${path_rule.key}/*"]
        service = google_compute_backend_service.service[path_rule.key].id
      }
    }
  }
}

resource "google_compute_target_https_proxy" "this" {
  project          = var.project_id
  name             = "${var.name_prefix}-lb"
  url_map          = google_compute_url_map.this.id
  ssl_certificates = [google_compute_managed_ssl_certificate.this.id]
}

resource "google_compute_global_forwarding_rule" "https" {
  project               = var.project_id
  name                  = "${var.name_prefix}-https"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  ip_protocol           = "TCP"
  port_range            = "443"
  ip_address            = google_compute_global_address.this.id
  target                = google_compute_target_https_proxy.this.id
  labels                = var.labels
}
