"""Code shared by the four services: event contracts and the plumbing around them.

Nothing here knows a business rule of one service: contracts (what an event says),
the outbox write, the stream publisher, the queue consumer, and the HTTP glue.
"""

from pydantic import BaseModel as _BaseModel

# Every model builds its validator on first use, not when its module is imported: a function
# imports every contract and model of its service but one invocation uses a few, and building
# them all was a third of a cold start (docs/architecture.md, decision 33). Set here because
# every function imports `shared` before its own models.
_BaseModel.model_config["defer_build"] = True
