output "alb_dns_name" {
  description = "DNS name of the load balancer (point the public host name at it)."
  value       = aws_lb.main.dns_name
}

output "ecs_cluster_name" {
  description = "ECS cluster name."
  value       = aws_ecs_cluster.main.name
}

output "ecs_service_name" {
  description = "ECS service name."
  value       = aws_ecs_service.janua.name
}

output "task_definition_arn" {
  description = "Task definition (also used for the one-off `janua migrate` task)."
  value       = aws_ecs_task_definition.janua.arn
}

output "app_security_group_id" {
  description = "Security group of the Janua tasks (for the migration run-task)."
  value       = aws_security_group.app.id
}

output "rds_endpoint" {
  description = "PostgreSQL endpoint."
  value       = aws_db_instance.main.address
}

output "redis_primary_endpoint" {
  description = "Redis primary endpoint (TLS)."
  value       = aws_elasticache_replication_group.main.primary_endpoint_address
}

output "log_group_name" {
  description = "CloudWatch log group of the tasks."
  value       = aws_cloudwatch_log_group.janua.name
}

output "secret_arns" {
  description = "Secrets Manager ARNs of DATABASE_URL, REDIS_URL and SECRET_KEY."
  value = {
    database_url = aws_secretsmanager_secret.database_url.arn
    redis_url    = aws_secretsmanager_secret.redis_url.arn
    secret_key   = aws_secretsmanager_secret.secret_key.arn
  }
}
