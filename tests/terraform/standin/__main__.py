"""Entry point Terraform runs (through the launcher install.py writes):
python -m tests.terraform.standin PROVIDER_NAME"""

import sys

from tests.terraform.standin.server import serve

if __name__ == "__main__":
    sys.exit(serve(sys.argv[1]))
