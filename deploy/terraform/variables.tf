variable "aws_region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"
}

variable "environment" {
  description = "Deployment name, used in resource names and as a tag (e.g. production, staging)."
  type        = string
  default     = "production"
}

variable "vpc_id" {
  description = "Existing VPC to deploy into."
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets (at least two AZs) for the load balancer."
  type        = list(string)
}

variable "private_subnet_ids" {
  description = "Private subnets (at least two AZs) for tasks, RDS and ElastiCache. Tasks need a NAT gateway or VPC endpoints for ECR, Secrets Manager and CloudWatch Logs."
  type        = list(string)
}

variable "allowed_ingress_cidrs" {
  description = "CIDR blocks allowed to reach the load balancer."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "acm_certificate_arn" {
  description = "ACM certificate for the HTTPS listener."
  type        = string
}

variable "public_base_url" {
  description = "Public https URL of Janua (BASE_URL), e.g. https://auth.example.com."
  type        = string

  validation {
    condition     = startswith(var.public_base_url, "https://")
    error_message = "public_base_url must be an https:// URL (Janua refuses http in production)."
  }
}

variable "image" {
  description = "Janua image with a pinned tag or digest, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/janua-api:0.1.0."
  type        = string

  validation {
    condition     = !endswith(var.image, ":latest")
    error_message = "Pin the image to a version tag or digest, not latest."
  }
}

variable "task_cpu" {
  description = "Fargate task CPU units."
  type        = number
  default     = 1024
}

variable "task_memory" {
  description = "Fargate task memory (MiB)."
  type        = number
  default     = 2048
}

variable "worker_threads" {
  description = "Tokio worker threads (WORKER_THREADS; the guide's 4 workers)."
  type        = number
  default     = 4
}

variable "desired_count" {
  description = "Number of Janua tasks."
  type        = number
  default     = 3
}

variable "max_count" {
  description = "Upper bound for CPU-based auto scaling."
  type        = number
  default     = 10
}

variable "shutdown_drain_seconds" {
  description = "SHUTDOWN_DRAIN_SECONDS; >= target group health check interval x unhealthy threshold."
  type        = number
  default     = 10
}

variable "shutdown_timeout_seconds" {
  description = "SHUTDOWN_TIMEOUT_SECONDS for in-flight requests after the drain."
  type        = number
  default     = 30
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t3.medium"
}

variable "db_engine_version" {
  description = "PostgreSQL engine version."
  type        = string
  default     = "15.8"
}

variable "db_allocated_storage" {
  description = "Initial RDS storage (GiB)."
  type        = number
  default     = 100
}

variable "db_max_allocated_storage" {
  description = "Storage autoscaling ceiling (GiB)."
  type        = number
  default     = 1000
}

variable "db_multi_az" {
  description = "Run RDS as a Multi-AZ deployment."
  type        = bool
  default     = true
}

variable "db_backup_retention_days" {
  description = "Automated backup retention (days)."
  type        = number
  default     = 14
}

variable "redis_node_type" {
  description = "ElastiCache node type."
  type        = string
  default     = "cache.t3.micro"
}

variable "redis_num_cache_clusters" {
  description = "Redis nodes in the replication group (>= 2: automatic failover and Multi-AZ are on)."
  type        = number
  default     = 2

  validation {
    condition     = var.redis_num_cache_clusters >= 2
    error_message = "At least 2 nodes: automatic failover needs a replica."
  }
}

variable "log_retention_days" {
  description = "CloudWatch log retention (days)."
  type        = number
  default     = 365
}
