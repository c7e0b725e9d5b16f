"""Review of Terraform plans for changes that weaken the security alarms."""
