"""regioqa: question answering and English summaries over Chinese news, fully offline."""

from . import offline  # noqa: F401  (first: no telemetry, no hub; see regioqa/offline.py)
from .config import Config
from .errors import InputError, ModelNotFoundError, RegioQAError
from .types import Answer, Article, Chunk, Hit, Section, Sentence, Span, Summary, SummarySentence

__version__ = "0.1.0"

__all__ = ["Answer", "Article", "Chunk", "Config", "Hit", "InputError", "ModelNotFoundError", "RegioQAError",
           "Section", "Sentence", "Span", "Summary", "SummarySentence", "__version__"]
