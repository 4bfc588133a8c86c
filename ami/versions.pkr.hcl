# Kept apart from the template: Debian's packer 1.6.6, which CI runs `packer validate
# -syntax-only` with, predates required_plugins and rejects it. Packer >= 1.10 reads both files.
packer {
  required_version = ">= 1.10.0"

  required_plugins {
    amazon = {
      source  = "github.com/hashicorp/amazon"
      version = "~> 1.3"
    }
  }
}
