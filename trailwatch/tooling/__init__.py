"""The external tools trailwatch drives: Terraform (`terraform`), the provider mirror
(`toolchain`), the local AWS emulator (`emulator`) and `make demo` (`demo`)."""
