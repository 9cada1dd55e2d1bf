"""The generated models, re-exported: ``from agenfleet.models import CreateAgentRequest``."""

from .generated.models import *  # noqa: F403
from .generated.models import __all__  # noqa: F401
