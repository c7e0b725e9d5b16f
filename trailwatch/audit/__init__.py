"""Audits of what is or would be deployed, all reading the one inventory:
`coverage` (compliance controls met), `drift` (state against the model) and `plan` (review of
Terraform plans for weakenings)."""
