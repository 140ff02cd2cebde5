"""Entry point for ``python -m custom_components.docsight.docsis``."""

import sys

from .cli import main

sys.exit(main())
