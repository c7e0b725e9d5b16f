"""One model of deployed resources, with loaders from synth output, Terraform state and AWS."""
